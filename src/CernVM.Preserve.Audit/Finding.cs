namespace CernVM.Preserve.Audit;

/// <summary>
/// One defect the audit found: which code, which object (a key of the archive), what exactly, and every
/// capsule version and path it affects (a corrupt blob shared by ten versions names all ten).
/// </summary>
public sealed record Finding(FindingCode Code, string Subject, string Message, IReadOnlyList<AffectedVersion> Affected)
{
    public Finding(FindingCode code, string subject, string message)
        : this(code, subject, message, [])
    {
    }

    public bool IsError => Code.Severity == FindingSeverity.Error;
}

/// <summary>A capsule version a finding affects, and the paths of its tree (or manifest members) it touches.</summary>
/// <param name="Paths">Tree paths as the catalog holds them (bytes that are not UTF-8 written as \xHH), or
/// <c>manifest:/json/pointer</c> for a blob the manifest names, or <c>(tree catalog)</c>.</param>
public sealed record AffectedVersion(string Capsule, int Version, IReadOnlyList<string> Paths)
{
    public override string ToString() => $"{Capsule}@v{Version}";
}
