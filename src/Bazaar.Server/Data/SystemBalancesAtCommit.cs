using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Bazaar.Server.Data;

/// <summary>
/// PostgreSQL: every sale adds to the one sales-revenue ledger row, and an UPDATE locks that row until the commit. Sent
/// as its own statement, the lock lasted a client round trip (the UPDATE's answer, then the COMMIT), and under load
/// concurrent sales queued behind each other on it. Here the system accounts' changes that a sale held back
/// (<see cref="BazaarDb.DeferredSystemDeltas"/>) go in the same round trip as the COMMIT, so the row is locked only
/// while PostgreSQL commits. The wallets' balance conditions have been checked before; system accounts may go negative.
/// </summary>
public sealed class SystemBalancesAtCommit : DbTransactionInterceptor
{
    public static readonly SystemBalancesAtCommit Instance = new();

    private SystemBalancesAtCommit() { }

    public override InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        if (Batch(transaction, eventData) is not { } cmd) return result;
        using (cmd) cmd.ExecuteNonQuery();
        return InterceptionResult.Suppress();
    }

    public override async ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (Batch(transaction, eventData) is not { } cmd) return result;
        await using (cmd) await cmd.ExecuteNonQueryAsync(cancellationToken);
        return InterceptionResult.Suppress();
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(eventData.Context);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    private static void Forget(Microsoft.EntityFrameworkCore.DbContext? context) => (context as BazaarDb)?.DeferredSystemDeltas?.Clear();

    /// <summary>"UPDATE ...; UPDATE ...; COMMIT" for the held-back changes (one per account, in id order like every posting), or null.</summary>
    private static DbCommand? Batch(DbTransaction transaction, TransactionEventData eventData)
    {
        if (eventData.Context is not BazaarDb { DeferredSystemDeltas: { Count: > 0 } deltas }) return null;
        var cmd = transaction.Connection!.CreateCommand();
        cmd.Transaction = transaction;
        var sql = new StringBuilder();
        var i = 0;
        foreach (var g in deltas.GroupBy(d => d.AccountId).OrderBy(g => g.Key))
        {
            var delta = g.Sum(d => d.Delta);
            if (delta == 0) continue;
            sql.Append($"UPDATE ledger_accounts SET \"Balance\" = \"Balance\" + @d{i} WHERE \"Id\" = @a{i};\n");
            Add(cmd, $"@d{i}", delta);
            Add(cmd, $"@a{i}", g.Key);
            i++;
        }
        deltas.Clear();
        cmd.CommandText = sql.Append("COMMIT").ToString();
        return cmd;
    }

    private static void Add(DbCommand cmd, string name, long value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}
