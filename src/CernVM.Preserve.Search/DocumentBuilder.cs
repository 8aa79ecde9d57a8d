using System.Globalization;
using CernVM.Preserve.Core.Format;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Util;

namespace CernVM.Preserve.Search;

/// <summary>Makes the Lucene documents: one per capsule version, one per directory listing (fields: <see cref="Fields"/>).</summary>
public static class DocumentBuilder
{
    /// <summary>A whole value, analysed by the keyword analyser (lower-cased), not stored, without norms or positions.</summary>
    private static readonly FieldType KeywordType = Freeze(new FieldType
    {
        IsIndexed = true,
        IsTokenized = true,
        OmitNorms = true,
        IndexOptions = IndexOptions.DOCS_ONLY,
    });

    private static FieldType Freeze(FieldType t)
    {
        t.Freeze();
        return t;
    }

    /// <summary>Stored fields, shown with a hit.</summary>
    public const string ShowCapsule = "show.capsule";
    public const string ShowVersion = "show.version";
    public const string ShowTitle = "show.title";
    public const string ShowExperiment = "show.experiment";
    public const string ShowOs = "show.os";
    public const string ShowCreated = "show.created";

    /// <summary>Doc values for the latest-version filter.</summary>
    public const string DvCapsule = "dv.capsule";
    public const string DvVersion = "dv.version";

    /// <summary>The version's row id in the registry, so that the registry's package answers need no join to name versions.</summary>
    public const string DvRegistryId = "dv.registry";

    /// <summary>A listing's id as a doc value, read for every listing a path query matches.</summary>
    public const string DvListing = "dv.listing";

    /// <summary>The document of one directory listing: its id, its entries' full paths and their (lower-cased) names.</summary>
    public static Document BuildListing(DirectoryListing listing)
    {
        ArgumentNullException.ThrowIfNull(listing);
        var doc = new Document
        {
            new StringField(Fields.Kind, Fields.KindListing, Field.Store.NO),
            new StringField(Fields.Listing, listing.Id, Field.Store.NO),
            new SortedDocValuesField(DvListing, new BytesRef(listing.Id)),
            new Field(Fields.Path, new ValuesTokenStream(listing.Children), KeywordType),
        };
        var names = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<string>(listing.Children.Count);
        foreach (string child in listing.Children)
        {
            string name = DirectoryListing.NameOf(child).ToLowerInvariant();
            if (name.Length > 0 && names.Add(name))
            {
                list.Add(name);
            }
        }

        doc.Add(new Field(Fields.PathSegment, new ValuesTokenStream(list), KeywordType));
        return doc;
    }

    /// <summary>The document of one capsule version (its registry row <paramref name="registryId"/>); its paths are those of <paramref name="listings"/>, named by id.</summary>
    public static Document Build(VersionContent content, IReadOnlyList<Verdict> verdicts, IReadOnlyList<DirectoryListing> listings, long registryId)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(verdicts);
        ArgumentNullException.ThrowIfNull(listings);
        VersionFacts f = content.Facts;
        var doc = new Document();
        var values = new Dictionary<string, (HashSet<string> Seen, List<string> List)>(StringComparer.Ordinal);
        void Keyword(string field, string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return;
            }

            value = value.ToLowerInvariant();

            if (!values.TryGetValue(field, out var v))
            {
                values[field] = v = (new HashSet<string>(StringComparer.Ordinal), []);
            }

            if (v.Seen.Add(value))
            {
                v.List.Add(value);
            }
        }

        doc.Add(new StringField(Fields.Kind, Fields.KindVersion, Field.Store.NO));
        doc.Add(new StringField(Fields.Key, f.Key, Field.Store.YES));
        doc.Add(new SortedDocValuesField(DvCapsule, new BytesRef(f.Capsule)));
        doc.Add(new NumericDocValuesField(DvVersion, f.Version));
        doc.Add(new NumericDocValuesField(DvRegistryId, registryId));
        doc.Add(new StoredField(ShowCapsule, f.Capsule));
        doc.Add(new StoredField(ShowVersion, f.Version));
        Store(doc, ShowTitle, f.Title);
        Store(doc, ShowExperiment, f.Experiment);
        Store(doc, ShowOs, f.OsLine);
        Store(doc, ShowCreated, f.Created);

        Keyword(Fields.Capsule, f.Capsule);
        Keyword(Fields.Version, f.Version.ToString(CultureInfo.InvariantCulture));
        if (f.Title is { Length: > 0 } title)
        {
            doc.Add(new TextField(Fields.Title, title, Field.Store.NO));
        }

        if (f.Description is { Length: > 0 } description)
        {
            doc.Add(new TextField(Fields.Description, description, Field.Store.NO));
        }

        if (f.Experiment is { Length: > 0 } experiment)
        {
            doc.Add(new TextField(Fields.Experiment, experiment, Field.Store.NO));
        }

        foreach (string c in f.Creators)
        {
            doc.Add(new TextField(Fields.Creator, c, Field.Store.NO));
        }

        Keyword(Fields.Licence, f.Licence);
        Keyword(Fields.Dphep, f.DphepLevel?.ToString(CultureInfo.InvariantCulture));
        Keyword(Fields.Created, f.Created);
        if (f.OsDistribution is { Length: > 0 } distribution)
        {
            doc.Add(new TextField(Fields.OsDistribution, distribution, Field.Store.NO));
        }

        Keyword(Fields.OsId, f.OsId);
        Keyword(Fields.OsVersion, f.OsVersion);
        Keyword(Fields.OsCodename, f.OsCodename);
        Keyword(Fields.OsArch, f.OsArchitecture);
        Keyword(Fields.Kernel, f.KernelRelease);
        Keyword(Fields.Bootloader, f.Bootloader);
        Keyword(Fields.PackageFormat, f.PackageFormat);
        bool dpkg = f.PackageFormat == "dpkg";
        foreach (PackageListEntry p in content.Packages)
        {
            Keyword(Fields.Package, p.Name);
            Keyword(Fields.PackageVersion, $"{p.Name}={p.EpochVersionRelease}");
            Keyword(Fields.PackageNevra, Nevra(p, dpkg));
        }

        Keyword(Fields.Pin, f.Pin);
        if (f.Pin is not null && f.PinVersion is not null)
        {
            Keyword(Fields.Pin, $"{f.Pin}={f.PinVersion}");
        }

        foreach (string d in f.PinDeviations)
        {
            Keyword(Fields.PinDeviation, d);
        }

        foreach (CvmfsFacts r in f.Cvmfs)
        {
            Keyword(Fields.Cvmfs, r.Fqrn);
            Keyword(Fields.CvmfsRevision, $"{r.Fqrn}@{r.Revision.ToString(CultureInfo.InvariantCulture)}");
            Keyword(Fields.CvmfsRevision, r.Revision.ToString(CultureInfo.InvariantCulture));
            Keyword(Fields.CvmfsTag, r.Tag);
            Keyword(Fields.CvmfsRootHash, r.RootHash);
        }

        foreach (SoftwareFacts s in f.Software)
        {
            Keyword(Fields.Software, s.Name);
            if (s.Version is not null)
            {
                Keyword(Fields.SoftwareVersion, $"{s.Name}@{s.Version}");
                Keyword(Fields.SoftwareVersion, s.Version);
            }
        }

        foreach (string r in f.Run)
        {
            Keyword(Fields.Run, r);
        }

        doc.Add(new Field(Fields.Listing, new ValuesTokenStream([.. listings.Select(l => l.Id)]), KeywordType));
        foreach ((string field, (_, List<string> list)) in values)
        {
            doc.Add(new Field(field, new ValuesTokenStream(list), KeywordType));
        }

        // Verdicts are numeric doc values, changed in place when the journal brings a newer one (no re-indexing).
        doc.Add(new NumericDocValuesField(Fields.Audit, Verdicts.Code(verdicts.FirstOrDefault(v => v.Kind == "audit")?.Outcome)));
        doc.Add(new NumericDocValuesField(Fields.Replay, Verdicts.Code(verdicts.FirstOrDefault(v => v.Kind == "replay")?.Outcome)));

        string text = string.Join(' ', new[] { f.Capsule, f.Title, f.Description, f.Experiment, f.Licence, f.OsDistribution, f.OsVersion, f.OsCodename, f.OsArchitecture, f.KernelRelease, f.Pin }
            .Concat(f.Creators).Concat(f.Software.Select(s => $"{s.Name} {s.Version}")).Concat(f.Run).Concat(f.Cvmfs.Select(r => r.Fqrn))
            .Where(s => !string.IsNullOrEmpty(s)));
        doc.Add(new TextField(Fields.Text, text, Field.Store.NO));

        Facet(doc, "facet.experiment", f.Experiment);
        Facet(doc, "facet.os", f.OsDistribution is null ? null : $"{f.OsDistribution} {f.OsVersion}".Trim());
        Facet(doc, "facet.arch", f.OsArchitecture);
        Facet(doc, "facet.dphep", f.DphepLevel?.ToString(CultureInfo.InvariantCulture));
        return doc;
    }

    /// <summary>rpm's <c>name-[epoch:]version-release.arch</c>, or a .deb's <c>name_version_arch</c>.</summary>
    public static string Nevra(PackageListEntry p, bool dpkg)
    {
        ArgumentNullException.ThrowIfNull(p);
        return dpkg
            ? $"{p.Name}_{p.EpochVersionRelease}" + (p.Arch is null ? "" : "_" + p.Arch)
            : $"{p.Name}-{p.EpochVersionRelease}" + (p.Arch is null ? "" : "." + p.Arch);
    }

    /// <summary>The value a facet counts when a version has none.</summary>
    public const string NoValue = "(none)";

    private static void Facet(Document doc, string field, string? value) =>
        doc.Add(new SortedDocValuesField(field, new BytesRef(string.IsNullOrEmpty(value) ? NoValue : value)));

    private static void Store(Document doc, string field, string? value)
    {
        if (value is not null)
        {
            doc.Add(new StoredField(field, value));
        }
    }
}
