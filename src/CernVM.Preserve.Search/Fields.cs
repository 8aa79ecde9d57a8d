using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Core;
using Lucene.Net.Analysis.Miscellaneous;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.Util;
using Lucene.Net.Util;

namespace CernVM.Preserve.Search;

/// <summary>
/// The index's fields: the names a query uses (<c>experiment:ALEPH AND os.version:4*</c>), the one list, with
/// how each is analysed. Keyword fields are whole values, lower-cased (a query matches regardless of case;
/// the query parser lower-cases wildcard terms too); text fields are words (StandardAnalyzer).
/// </summary>
public static class Fields
{
    public static LuceneVersion Lucene => LuceneVersion.LUCENE_48;

    public const string Key = "key";

    /// <summary>What a document is: a capsule version (<see cref="KindVersion"/>) or a directory listing (<see cref="KindListing"/>).</summary>
    public const string Kind = "kind";
    public const string KindVersion = "version";
    public const string KindListing = "listing";

    /// <summary>On a version: the ids of its directory listings. On a listing: its id (<see cref="DirectoryListing"/>).</summary>
    public const string Listing = "listing";
    public const string Capsule = "capsule";
    public const string Version = "version";
    public const string Title = "title";
    public const string Description = "description";
    public const string Experiment = "experiment";
    public const string Creator = "creator";
    public const string Licence = "licence";
    public const string Dphep = "dphep";
    public const string Created = "created";
    public const string OsDistribution = "os.distribution";
    public const string OsId = "os.id";
    public const string OsVersion = "os.version";
    public const string OsCodename = "os.codename";
    public const string OsArch = "os.arch";
    public const string Kernel = "kernel";
    public const string Bootloader = "bootloader";
    public const string PackageFormat = "package.format";
    public const string Package = "package";
    public const string PackageNevra = "package.nevra";
    public const string PackageVersion = "package.version";
    public const string Pin = "pin";
    public const string PinDeviation = "pin.deviation";
    public const string Cvmfs = "cvmfs";
    public const string CvmfsRevision = "cvmfs.revision";
    public const string CvmfsTag = "cvmfs.tag";
    public const string CvmfsRootHash = "cvmfs.roothash";
    public const string Software = "software";
    public const string SoftwareVersion = "software.version";
    public const string Run = "run";
    /// <summary>Held by listing documents (the full paths of a directory's entries, and their names), queried through the versions that name the listings.</summary>
    public const string Path = "path";
    public const string PathSegment = "path.segment";

    /// <summary>Whether a field's values live on listing documents rather than on versions.</summary>
    public static bool OnListings(string field) => field is Path or PathSegment;
    public const string Audit = "audit";
    public const string Replay = "replay";

    /// <summary>Every word of the descriptive fields, for terms without a field name.</summary>
    public const string Text = "text";

    /// <summary>Facets: doc values of one value per version, counted over the hits.</summary>
    public static IReadOnlyList<(string Name, string Field)> Facets { get; } =
    [
        ("experiment", "facet.experiment"),
        ("os", "facet.os"),
        ("architecture", "facet.arch"),
        ("dphepLevel", "facet.dphep"),
    ];

    /// <summary>Fields of words (<c>experiment:ALEPH</c> finds "ALEPH (demo)"); every other named field is a keyword field.</summary>
    public static IReadOnlySet<string> TextFields { get; } = new HashSet<string>(StringComparer.Ordinal) { Title, Description, Experiment, Creator, OsDistribution, Text };

    /// <summary>Every field a query may name, for the documentation and for messages.</summary>
    public static IReadOnlyList<string> Queryable { get; } =
    [
        Capsule, Version, Title, Description, Experiment, Creator, Licence, Dphep, Created, OsDistribution, OsId, OsVersion, OsCodename, OsArch,
        Kernel, Bootloader, PackageFormat, Package, PackageNevra, PackageVersion, Pin, PinDeviation, Cvmfs, CvmfsRevision, CvmfsTag,
        CvmfsRootHash, Software, SoftwareVersion, Run, Path, PathSegment, Audit, Replay, Text,
    ];

    /// <summary>The analyzer of indexing and of queries: words for text fields, whole lower-cased values for the rest.</summary>
    public static Analyzer CreateAnalyzer()
    {
        Analyzer keyword = Analyzer.NewAnonymous((_, reader) =>
        {
            var tokenizer = new KeywordTokenizer(reader);
            return new TokenStreamComponents(tokenizer, new LowerCaseFilter(Lucene, tokenizer));
        });
        var words = new StandardAnalyzer(Lucene, CharArraySet.Empty);
        Dictionary<string, Analyzer> perField = TextFields.ToDictionary(f => f, _ => (Analyzer)words);
        perField[Path] = new KeywordAnalyzer(); // paths keep their case: a file system tells /Data from /data
        perField[Listing] = new KeywordAnalyzer();
        return new PerFieldAnalyzerWrapper(keyword, perField);
    }

    /// <summary>Whether a field's values are lower-cased (every keyword field but <see cref="Path"/>).</summary>
    public static bool Lowercased(string field) => field is not (Path or Listing);
}
