namespace Bazaar.Server.Channels;

/// <summary>Wakes the sender when a message was committed in this process, so replies go out without waiting for a poll.</summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try { _signal.Release(); }
        catch (SemaphoreFullException) { } // already signalled
    }

    /// <summary>Waits for a signal or the timeout (on the given clock); true when signalled.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout, clock, cts.Token);
        var wait = _signal.WaitAsync(cts.Token);
        var first = await Task.WhenAny(delay, wait);
        await cts.CancelAsync();
        ct.ThrowIfCancellationRequested();
        if (first == wait) return true;
        try { await wait; return true; } catch (OperationCanceledException) { return false; }
    }
}
