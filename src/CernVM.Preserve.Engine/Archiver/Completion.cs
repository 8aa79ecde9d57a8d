namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// "Complete when the last child is complete": a count of outstanding parts, held at one by the parent until
/// it has handed out every child, that runs its action once, when the count reaches zero.
/// </summary>
internal sealed class Completion(Action onComplete)
{
    // The parent's own hold: released by the last Release after every Add.
    private int _outstanding = 1;

    /// <summary>One more child to wait for.</summary>
    public void Add() => Interlocked.Increment(ref _outstanding);

    /// <summary>A child is complete (or the parent has handed out all of them).</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0)
        {
            onComplete();
        }
    }
}
