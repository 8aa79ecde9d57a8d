namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// The version relation of a requirement. The bit values are rpm's RPMSENSE_LESS, RPMSENSE_GREATER and
/// RPMSENSE_EQUAL (include/rpm/rpmds.h), so an rpm flags word masked with 0x0E converts directly.
/// </summary>
[Flags]
public enum RequirementComparison
{
    /// <summary>Any version satisfies the requirement.</summary>
    None = 0,
    Less = 1 << 1,
    Greater = 1 << 2,
    Equal = 1 << 3,
    LessOrEqual = Less | Equal,
    GreaterOrEqual = Greater | Equal,
}
