namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// One dependency of an installed package: rpm's <c>Requires</c> or dpkg's <c>Depends</c>/<c>Pre-Depends</c>.
/// </summary>
/// <param name="Name">The capability or package name (for rpm also <c>rpmlib(...)</c> capabilities and file paths).</param>
/// <param name="Comparison">The version relation; <see cref="RequirementComparison.None"/> when unversioned.</param>
/// <param name="Version">The <c>[epoch:]version[-release]</c> the relation applies to; empty when unversioned.</param>
public sealed record PackageRequirement(string Name, RequirementComparison Comparison, string Version)
{
    /// <summary>rpm's raw RPMSENSE flags word (pre-requirement, rpmlib, script bits); 0 for dpkg.</summary>
    public int RpmFlags { get; init; }

    /// <summary>
    /// For a dpkg alternative (<c>a | b</c>), the other packages that satisfy this requirement instead;
    /// empty otherwise.
    /// </summary>
    public IReadOnlyList<PackageRequirement> Alternatives { get; init; } = [];

    /// <summary>True for rpm's internal <c>rpmlib(...)</c> feature capabilities (RPMSENSE_RPMLIB, 1 &lt;&lt; 24).</summary>
    public bool IsRpmLibCapability => (RpmFlags & (1 << 24)) != 0 || Name.StartsWith("rpmlib(", StringComparison.Ordinal);

    /// <summary>The relation as an operator: <c>&lt;</c>, <c>&lt;=</c>, <c>=</c>, <c>&gt;=</c>, <c>&gt;</c>, or empty.</summary>
    public string Operator => Comparison switch
    {
        RequirementComparison.Less => "<",
        RequirementComparison.LessOrEqual => "<=",
        RequirementComparison.Equal => "=",
        RequirementComparison.GreaterOrEqual => ">=",
        RequirementComparison.Greater => ">",
        _ => string.Empty,
    };

    public override string ToString() =>
        Comparison == RequirementComparison.None ? Name : $"{Name} {Operator} {Version}";
}
