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

/// <summary>Wakes the sender when a transaction that saved outbox rows commits (the caller's explicit transaction).</summary>
internal sealed class OutboxCommitSignal(OutboxSignal signal) : Microsoft.EntityFrameworkCore.Diagnostics.DbTransactionInterceptor
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Microsoft.EntityFrameworkCore.DbContext, object> Armed = new();

    public static void Arm(Microsoft.EntityFrameworkCore.DbContext db) => Armed.AddOrUpdate(db, Armed);

    public override void TransactionCommitted(System.Data.Common.DbTransaction transaction,
        Microsoft.EntityFrameworkCore.Diagnostics.TransactionEndEventData eventData) => Fire(eventData.Context);

    public override Task TransactionCommittedAsync(System.Data.Common.DbTransaction transaction,
        Microsoft.EntityFrameworkCore.Diagnostics.TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Fire(eventData.Context);
        return Task.CompletedTask;
    }

    private void Fire(Microsoft.EntityFrameworkCore.DbContext? db)
    {
        if (db is not null && Armed.Remove(db)) signal.Notify();
    }
}
