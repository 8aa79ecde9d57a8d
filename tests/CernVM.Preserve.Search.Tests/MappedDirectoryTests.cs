using CernVM.Preserve.Cli.Tests;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Store;
using Xunit;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace CernVM.Preserve.Search.Tests;

/// <summary>
/// The index's own memory-mapped directory reads what Lucene wrote exactly as Lucene's directories do, and ends
/// every read outside a file or a slice on the error Lucene's inputs give, never outside the mapping.
/// </summary>
public sealed class MappedDirectoryTests
{
    private static void Write(LuceneDirectory dir, string name, Action<IndexOutput> write)
    {
        using IndexOutput o = dir.CreateOutput(name, IOContext.DEFAULT);
        write(o);
    }

    [Fact]
    public void Reads_EveryPrimitiveAsWritten_SeeksAndClonesKeepTheirOwnPositions()
    {
        using var t = new TempDir();
        using var dir = new MappedDirectory(new DirectoryInfo(t["lucene"]));
        Write(dir, "f", o =>
        {
            o.WriteByte(0xAB);
            o.WriteInt16(-2);
            o.WriteInt32(int.MinValue + 5);
            o.WriteInt64(long.MaxValue - 7);
            o.WriteVInt32(300);
            o.WriteVInt64(1L << 40);
            o.WriteString("naïve");
            o.WriteBytes([1, 2, 3, 4, 5], 5);
        });

        using IndexInput input = dir.OpenInput("f", IOContext.DEFAULT);
        Assert.Equal(dir.FileLength("f"), input.Length);
        Assert.Equal(0xAB, input.ReadByte());
        var clone = (IndexInput)input.Clone();
        Assert.Equal(-2, input.ReadInt16());
        Assert.Equal(int.MinValue + 5, input.ReadInt32());
        Assert.Equal(long.MaxValue - 7, input.ReadInt64());
        Assert.Equal(300, input.ReadVInt32());
        Assert.Equal(1L << 40, input.ReadVInt64());
        Assert.Equal("naïve", input.ReadString());
        byte[] five = new byte[7];
        input.ReadBytes(five, 1, 5);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 0 }, five);
        Assert.Equal(input.Length, input.Position);

        Assert.Equal(1, clone.Position); // where the input was when cloned, and its own since
        Assert.Equal(-2, clone.ReadInt16());
        clone.Seek(input.Length - 5);
        Assert.Equal(1, clone.ReadByte());
        Assert.Equal(input.Length, input.Position);
        clone.Seek(input.Length); // the end is a place to be, not to read
        Assert.Throws<EndOfStreamException>(() => clone.ReadByte());
    }

    [Fact]
    public void ReadsAndSeeksOutsideTheFile_EndOfStream_EmptyFileAndMissingFileToo()
    {
        using var t = new TempDir();
        using var dir = new MappedDirectory(new DirectoryInfo(t["lucene"]));
        Write(dir, "three", o => o.WriteBytes([7, 8, 9], 3));
        Write(dir, "empty", _ => { });

        using IndexInput input = dir.OpenInput("three", IOContext.DEFAULT);
        input.Seek(1);
        Assert.Throws<EndOfStreamException>(() => input.ReadInt32()); // 2 bytes left
        Assert.Equal(1, input.Position); // a refused read moves nothing
        Assert.Throws<EndOfStreamException>(() => input.ReadBytes(new byte[8], 0, 3));
        Assert.Throws<EndOfStreamException>(() => input.Seek(4));
        Assert.ThrowsAny<ArgumentException>(() => input.Seek(-1));
        Assert.Equal(8, input.ReadByte());

        using IndexInput empty = dir.OpenInput("empty", IOContext.DEFAULT);
        Assert.Equal(0, empty.Length);
        Assert.Throws<EndOfStreamException>(() => empty.ReadByte());
        Assert.Throws<FileNotFoundException>(() => dir.OpenInput("none", IOContext.DEFAULT));
    }

    [Fact]
    public void Slices_AreWindowsOfTheFile_BoundedByTheirOwnLength()
    {
        using var t = new TempDir();
        using var dir = new MappedDirectory(new DirectoryInfo(t["lucene"]));
        Write(dir, "cfs", o => o.WriteBytes([.. Enumerable.Range(0, 100).Select(i => (byte)i)], 100));

        using LuceneDirectory.IndexInputSlicer slicer = dir.CreateSlicer("cfs", IOContext.DEFAULT);
        using IndexInput slice = slicer.OpenSlice("part", 10, 20);
        Assert.Equal(20, slice.Length);
        Assert.Equal(10, slice.ReadByte());
        slice.Seek(19);
        Assert.Equal(29, slice.ReadByte());
        Assert.Throws<EndOfStreamException>(() => slice.ReadByte()); // byte 30 is the file's, not the slice's
        Assert.Throws<EndOfStreamException>(() => slice.Seek(21));
        Assert.ThrowsAny<ArgumentException>(() => slicer.OpenSlice("beyond", 90, 11));
        Assert.ThrowsAny<ArgumentException>(() => slicer.OpenSlice("negative", -1, 5));
        Assert.Equal(99, slicer.OpenSlice("last", 99, 1).ReadByte());
    }

    /// <summary>An index of small segments in compound files and a merged one, read through both directories.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LuceneIndex_SameAnswersAsLucenesOwnDirectory(bool compound)
    {
        using var t = new TempDir();
        string path = t["lucene"];
        using (var dir = new MappedDirectory(new DirectoryInfo(path)))
        using (var w = new IndexWriter(dir, new IndexWriterConfig(Fields.Lucene, Fields.CreateAnalyzer()) { UseCompoundFile = compound }))
        {
            for (int i = 0; i < 300; i++)
            {
                w.AddDocument(new Document
                {
                    new StringField("id", $"doc{i}", Field.Store.YES),
                    new TextField("body", $"word{i % 7} common text {i}", Field.Store.YES),
                    new NumericDocValuesField("n", i * 3L),
                    new SortedDocValuesField("k", new Lucene.Net.Util.BytesRef($"key{i % 11}")),
                });
                if (i % 50 == 49)
                {
                    w.Commit(); // a segment each
                }
            }
        }

        Assert.Equal(compound, System.IO.Directory.GetFiles(path, "*.cfs").Length > 0);
        Assert.Equal(Answers(FSDirectory.Open(path)), Answers(new MappedDirectory(new DirectoryInfo(path))));

        static List<string> Answers(LuceneDirectory dir)
        {
            using (dir)
            using (DirectoryReader reader = DirectoryReader.Open(dir))
            {
                var searcher = new IndexSearcher(reader);
                var answers = new List<string>();
                foreach (Query q in new Query[] { new TermQuery(new Term("body", "word3")), new TermQuery(new Term("id", "doc123")), new MatchAllDocsQuery() })
                {
                    TopDocs top = searcher.Search(q, 1000);
                    NumericDocValues n = MultiDocValues.GetNumericValues(reader, "n");
                    SortedDocValues k = MultiDocValues.GetSortedValues(reader, "k");
                    var key = new Lucene.Net.Util.BytesRef();
                    answers.AddRange(top.ScoreDocs.Select(d =>
                    {
                        k.Get(d.Doc, key);
                        return $"{searcher.Doc(d.Doc).Get("id")} {d.Score} {n.Get(d.Doc)} {key.Utf8ToString()}";
                    }));
                }

                answers.Add($"{reader.NumDocs} documents in {reader.Leaves.Count} segments");
                return answers;
            }
        }
    }
}
