using Bazaar.Server.Conversations;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

/// <summary>
/// One short write transaction, taking its turn at the SQLite write gate with the inbox and the processor, and
/// replayed whole by the execution strategy. Used where work around a slow outside call (a provider request, a
/// Telegram refund) must commit on its own, outside the update processor's transaction.
/// </summary>
public static class ShortTransaction
{
    /// <summary><paramref name="work"/> says whether to commit; the change tracker starts and ends empty.</summary>
    public static async Task<T> InShortTransactionAsync<T>(this BazaarDb db, WriteGate gate, Func<Task<(T Result, bool Commit)>> work, CancellationToken ct)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            using (await gate.EnterAsync(ct))
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                try
                {
                    var (result, commit) = await work();
                    if (commit) await tx.CommitAsync(ct);
                    else await tx.RollbackAsync(ct);
                    return result;
                }
                finally
                {
                    db.ChangeTracker.Clear();
                }
            }
        });
    }

    /// <summary>Runs <paramref name="work"/>, saves its tracked changes and commits.</summary>
    public static Task InShortTransactionAsync(this BazaarDb db, WriteGate gate, Func<Task> work, CancellationToken ct) =>
        db.InShortTransactionAsync(gate, async () =>
        {
            await work();
            await db.SaveChangesAsync(ct);
            return (true, true);
        }, ct);
}
