namespace CernVM.Preserve.Fuzz.Tests;

/// <summary>Files of this repository the tests read (the fuzz corpora).</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        string? d = AppContext.BaseDirectory;
        while (d is not null && !File.Exists(Path.Combine(d, "CernVM.Preserve.sln")))
        {
            d = Path.GetDirectoryName(d);
        }

        return d ?? throw new InvalidOperationException("CernVM.Preserve.sln not found above " + AppContext.BaseDirectory);
    }
}
