using Bazaar.Server.Data;

namespace Bazaar.Server.Conversations;

/// <summary>
/// SQLite has one writer. The inbox writer and the processor take turns through this gate instead of
/// meeting in SQLite's busy handler, which sleeps in steps of milliseconds. On PostgreSQL it is open.
/// </summary>
public sealed class WriteGate(DatabaseOptions db)
{
    private readonly SemaphoreSlim? _gate = db.Provider == DatabaseProvider.Sqlite ? new SemaphoreSlim(1, 1) : null;
    private int _waiting;

    /// <summary>Someone is queued for the gate; a long holder should commit and let them in.</summary>
    public bool Contended => Volatile.Read(ref _waiting) > 0;

    public async ValueTask<Releaser> EnterAsync(CancellationToken ct)
    {
        if (_gate is null) return default;
        Interlocked.Increment(ref _waiting);
        try { await _gate.WaitAsync(ct); }
        finally { Interlocked.Decrement(ref _waiting); }
        return new Releaser(_gate);
    }

    public readonly struct Releaser(SemaphoreSlim? gate) : IDisposable
    {
        public void Dispose() => gate?.Release();
    }
}
