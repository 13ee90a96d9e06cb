using Bazaar.Server.Data;

namespace Bazaar.Server.Conversations;

/// <summary>
/// SQLite has one writer, and a writer that finds the lock taken sleeps in SQLite's busy handler in steps of
/// milliseconds. Every writer of the process (the inbox writer, the update processor, the job runner, payments)
/// takes turns through this one gate instead. On PostgreSQL it is open.
/// A turn is held by the async flow that entered: entering again from inside it (a job's failure hook that runs a
/// short transaction while the runner holds the turn) joins the held turn instead of waiting for itself.
/// </summary>
public sealed class WriteGate(DatabaseOptions db)
{
    private readonly SemaphoreSlim? _gate = db.Provider == DatabaseProvider.Sqlite ? new SemaphoreSlim(1, 1) : null;
    private readonly AsyncLocal<Holder?> _held = new();
    private int _waiting;

    internal sealed class Holder
    {
        public volatile bool Active;
    }

    /// <summary>Someone is queued for the gate; a long holder should commit and let them in.</summary>
    public bool Contended => Volatile.Read(ref _waiting) > 0;

    /// <summary>This async flow holds the turn.</summary>
    public bool Held => _held.Value is { Active: true };

    /// <summary>
    /// Waits for the turn. Not an async method on purpose: the holder is recorded in the caller's async flow, so the
    /// caller's callees see the held turn (an async method's changes to an AsyncLocal do not reach its caller).
    /// </summary>
    public ValueTask<Releaser> EnterAsync(CancellationToken ct)
    {
        if (_gate is null || Held) return default;
        var holder = new Holder();
        _held.Value = holder;
        return WaitAsync(holder, ct);
    }

    private async ValueTask<Releaser> WaitAsync(Holder holder, CancellationToken ct)
    {
        Interlocked.Increment(ref _waiting);
        try { await _gate!.WaitAsync(ct); }
        finally { Interlocked.Decrement(ref _waiting); }
        holder.Active = true;
        return new Releaser(_gate, holder);
    }

    public readonly struct Releaser : IDisposable
    {
        private readonly SemaphoreSlim? _gate;
        private readonly Holder? _holder;

        internal Releaser(SemaphoreSlim gate, Holder holder)
        {
            _gate = gate;
            _holder = holder;
        }

        public void Dispose()
        {
            if (_holder is null || !_holder.Active) return;
            _holder.Active = false;
            _gate!.Release();
        }
    }
}
