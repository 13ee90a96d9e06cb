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
            try
            {
                var (result, commit) = await work();
                if (commit) await outer.ReleaseSavepointAsync(Savepoint, ct);
                else
                {
                    await outer.RollbackToSavepointAsync(Savepoint, ct);
                    ForgetSince(before);
                }
                return result;
            }
            catch
            {
                try { await outer.RollbackToSavepointAsync(Savepoint, CancellationToken.None); }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException) { }
                ForgetSince(before);
                throw;
            }
        }

        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
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
        }
    }

    private void ForgetSince(HashSet<object> before)
    {
        foreach (var e in db.ChangeTracker.Entries().Where(e => !before.Contains(e.Entity)).ToList()) e.State = EntityState.Detached;
    }
}
