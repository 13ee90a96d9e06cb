using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Shop;

/// <summary>
/// Runs shop work atomically: inside the caller's transaction as a savepoint (the bot pipeline and a payment
/// completion already run one), or in a transaction of its own, taken at the SQLite write gate.
/// The work says whether to keep its changes; a rollback undoes only this work.
/// </summary>
public sealed class ShopTransaction(BazaarDb db, WriteGate gate)
{
    private const string Savepoint = "shop";

    public async Task<T> RunAsync<T>(Func<Task<(T Result, bool Commit)>> work, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is { } outer)
        {
            if (db.ChangeTracker.HasChanges()) await db.SaveChangesAsync(ct);
            await outer.CreateSavepointAsync(Savepoint, ct);
            // What the work tracks and saves is undone with the savepoint: those entities must not stay tracked as if stored.
            var before = db.ChangeTracker.Entries().Select(e => e.Entity).ToHashSet(ReferenceEqualityComparer.Instance);
            var deferredBefore = db.DeferredSystemDeltas?.Count ?? 0;
            try
            {
                var (result, commit) = await work();
                if (commit) await outer.ReleaseSavepointAsync(Savepoint, ct);
                else
                {
                    await outer.RollbackToSavepointAsync(Savepoint, ct);
                    ForgetSince(before, deferredBefore);
                }
                return result;
            }
            catch
            {
                try { await outer.RollbackToSavepointAsync(Savepoint, CancellationToken.None); }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException) { }
                ForgetSince(before, deferredBefore);
                throw;
            }
        }

        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // PostgreSQL: the shared ledger rows (sales revenue) are updated in the COMMIT's round trip (SystemBalancesAtCommit).
            if (db.IsPostgres) db.DeferredSystemDeltas = [];
            try
            {
                var (result, commit) = await work();
                if (commit) await tx.CommitAsync(ct);
                else
                {
                    await tx.RollbackAsync(ct);
                    db.ChangeTracker.Clear();
                }
                return result;
            }
            catch
            {
                db.ChangeTracker.Clear();
                throw;
            }
            finally
            {
                db.DeferredSystemDeltas = null;
            }
        }
    }

    private void ForgetSince(HashSet<object> before, int deferredBefore)
    {
        // Ledger changes held back for the commit (PostgreSQL) are undone with the savepoint too.
        if (db.DeferredSystemDeltas is { } deferred && deferred.Count > deferredBefore)
            deferred.RemoveRange(deferredBefore, deferred.Count - deferredBefore);
        foreach (var e in db.ChangeTracker.Entries().Where(e => !before.Contains(e.Entity)).ToList()) e.State = EntityState.Detached;
    }
}
