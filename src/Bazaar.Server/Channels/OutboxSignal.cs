namespace Bazaar.Server.Channels;

/// <summary>
/// Wakes the sender when a message was committed in this process, so replies go out without waiting for a poll.
/// Urgent rows (a button's answer, a pre-checkout answer) have a signal of their own: while the global rate is used
/// up, only they can go, so the sender waits for them and for the rate rather than for every commit.
/// </summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _any = new(0, 1);
    private readonly SemaphoreSlim _urgent = new(0, 1);

    public void Notify() => Release(_any);

    public void NotifyUrgent()
    {
        Release(_urgent);
        Release(_any);
    }

    private static void Release(SemaphoreSlim s)
    {
        try { s.Release(); }
        catch (SemaphoreFullException) { } // already signalled
    }

    /// <summary>Waits for a signal (only an urgent one when <paramref name="urgentOnly"/>) or the timeout (on the given clock); true when signalled.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken ct, bool urgentOnly = false)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout, clock, cts.Token);
        var wait = (urgentOnly ? _urgent : _any).WaitAsync(cts.Token);
        var first = await Task.WhenAny(delay, wait);
        await cts.CancelAsync();
        ct.ThrowIfCancellationRequested();
        if (first == wait) return true;
        // Not awaited to throw: an idle sender times out several times a second, and an exception each time is waste.
        await wait.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return wait.IsCompletedSuccessfully;
    }
}
