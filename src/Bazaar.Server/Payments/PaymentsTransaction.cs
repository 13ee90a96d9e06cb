using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Bazaar.Server.Payments;

/// <summary>
/// A database transaction of its own, or, when the caller already runs one (the bot pipeline handles each update
/// inside its batch transaction), a savepoint in it: commit releases the savepoint and rollback undoes only this work.
/// </summary>
public sealed class PaymentsTransaction : IAsyncDisposable
{
    private const string Savepoint = "payments";
    private readonly IDbContextTransaction _tx;
    private readonly bool _owned;
    private bool _done;

    private PaymentsTransaction(IDbContextTransaction tx, bool owned)
    {
        _tx = tx;
        _owned = owned;
    }

    public static async Task<PaymentsTransaction> BeginAsync(DbContext db, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is { } outer)
        {
            // The caller's pending changes are the caller's: a rollback here must not undo them.
            if (db.ChangeTracker.HasChanges()) await db.SaveChangesAsync(ct);
            await outer.CreateSavepointAsync(Savepoint, ct);
            return new PaymentsTransaction(outer, owned: false);
        }
        return new PaymentsTransaction(await db.Database.BeginTransactionAsync(ct), owned: true);
    }

    public async Task CommitAsync(CancellationToken ct)
    {
        _done = true;
        if (_owned) await _tx.CommitAsync(ct);
        else await _tx.ReleaseSavepointAsync(Savepoint, ct);
    }

    public async Task RollbackAsync(CancellationToken ct)
    {
        _done = true;
        if (_owned) await _tx.RollbackAsync(ct);
        else await _tx.RollbackToSavepointAsync(Savepoint, ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned)
        {
            await _tx.DisposeAsync();
            return;
        }
        if (_done) return;
        // Left without a decision (an early return or an exception): undo this work, keep the caller's.
        try { await _tx.RollbackToSavepointAsync(Savepoint); }
        catch (Exception e) when (e is DbException or InvalidOperationException) { }
    }
}
