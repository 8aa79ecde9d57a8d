using CernVM.Preserve.Core;

namespace CernVM.Preserve.Search;

/// <summary>A query or a version range that cannot be read: where (1-based column in the text given) and why. Usage (exit 2).</summary>
public sealed class QuerySyntaxException(string what, string text, int column, string reason)
    : PreserveException(FailureKind.Usage, $"{what} '{text}': column {column}: {reason}")
{
    /// <summary>The option or argument the text came from (<c>query</c>, <c>--package</c>).</summary>
    public string What { get; } = what;

    public string Text { get; } = text;

    /// <summary>1-based column of the error in <see cref="Text"/>.</summary>
    public int Column { get; } = column;

    public string Reason { get; } = reason;
}
