using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Bazaar.Server.Data;

/// <summary>
/// Runs in-process wake-ups (the outbox sender, job workers) once saved rows are visible to other connections:
/// at once after SaveChanges without an explicit transaction, otherwise when the caller's transaction commits.
/// A rollback drops them. Added to both DbContexts by <see cref="DataModule"/>.
/// </summary>
public sealed class AfterCommit : DbTransactionInterceptor
{
    public static readonly AfterCommit Instance = new();

    private static readonly ConditionalWeakTable<DbContext, List<Action>> Pending = new();

    private AfterCommit() { }

    /// <summary>Call after SaveChanges: runs <paramref name="wake"/> now or when the open transaction commits (once per key).</summary>
    public static void Run(DbContext db, Action wake)
    {
        if (db.Database.CurrentTransaction is null)
        {
            wake();
            return;
        }
        var list = Pending.GetOrCreateValue(db);
        if (!list.Contains(wake)) list.Add(wake);
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Fire(eventData.Context);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Fire(eventData.Context);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Drop(eventData.Context);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Drop(eventData.Context);
        return Task.CompletedTask;
    }

    private static void Drop(DbContext? db)
    {
        if (db is not null) Pending.Remove(db);
    }

    private static void Fire(DbContext? db)
    {
        if (db is null || !Pending.TryGetValue(db, out var list)) return;
        Pending.Remove(db);
        foreach (var wake in list) wake();
    }
}
