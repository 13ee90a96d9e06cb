using System.Data;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Wallet;

/// <summary>Names an account without knowing its row: a user's wallet or a system account.</summary>
public readonly record struct AccountRef(string Key, AccountKind Kind, long? UserId)
{
    public static AccountRef Wallet(long userId) => new($"wallet:{userId}", AccountKind.Wallet, userId);
    public static AccountRef System(string name) => new($"system:{name}", AccountKind.System, null);

    public static AccountRef DepositsClearing(string method) => System($"deposits:{method}");
    public static readonly AccountRef SalesRevenue = System("sales");
    public static readonly AccountRef ReferralExpense = System("referrals");
    public static readonly AccountRef Refunds = System("refunds");
    public static readonly AccountRef OperatorAdjustments = System("adjustments");
}

public sealed record Leg(AccountRef Account, long Amount);

public sealed record Posting(string Kind, string Currency, IReadOnlyList<Leg> Legs)
{
    public string? ExternalRef { get; init; }
    public string? Description { get; init; }
    public string? Reason { get; init; }
    public string? CreatedBy { get; init; }
}

public enum PostError { None, Unbalanced, UnknownCurrency, InsufficientFunds, Duplicate }

public sealed record PostResult(long? TransactionId, PostError Error)
{
    public bool Ok => Error == PostError.None;
}

/// <summary>
/// The only way money moves. A posting is a balanced set of entries; each account's cached balance is
/// changed by a conditional UPDATE in the same database transaction, so a wallet can't go below zero
/// however many debits race (PostgreSQL re-checks the condition on the locked row; SQLite runs writers
/// one at a time under BEGIN IMMEDIATE). With an external reference a posting happens at most once.
/// </summary>
public sealed class Ledger(BazaarDb db, TimeProvider clock)
{
    public Task<PostResult> TransferAsync(AccountRef from, AccountRef to, long amount, string currency, string kind,
        string? externalRef, CancellationToken ct) =>
        PostAsync(new Posting(kind, currency, [new Leg(from, -amount), new Leg(to, amount)]) { ExternalRef = externalRef }, ct);

    /// <summary>
    /// Posts within the caller's transaction when there is one (then the caller must roll back on any error),
    /// or in a transaction of its own.
    /// </summary>
    public async Task<PostResult> PostAsync(Posting posting, CancellationToken ct)
    {
        var currency = Currencies.Normalize(posting.Currency);
        if (!Currencies.IsKnown(currency)) return new(null, PostError.UnknownCurrency);
        if (posting.Legs.Count < 2 || posting.Legs.Any(l => l.Amount == 0) || posting.Legs.Sum(l => l.Amount) != 0)
            return new(null, PostError.Unbalanced);

        // What the caller has tracked but not saved goes first, as it did when the posting was saved by SaveChanges.
        if (db.ChangeTracker.HasChanges()) await db.SaveChangesAsync(ct);
        var own = db.Database.CurrentTransaction is null;
        await using var tx = own ? await db.Database.BeginTransactionAsync(ct) : null;
        var now = clock.GetUtcNow().UtcDateTime;

        // Prepared statements, no change tracking, and the balances last. The order matters on PostgreSQL: a shared
        // system account (sales revenue, a clearing account) is updated by every posting that touches it, and its row
        // lock is held from its UPDATE to the commit, so nothing that can wait comes after it.
        // The transaction row goes first: a duplicate reference stops here, before any balance moves (ON CONFLICT DO
        // NOTHING: no error that would abort the caller's PostgreSQL transaction; a racing twin is waited for).
        var t = new LedgerTransaction
        {
            Kind = posting.Kind, ExternalRef = posting.ExternalRef, Description = posting.Description,
            Reason = posting.Reason, CreatedBy = posting.CreatedBy, CreatedAt = now,
        };
        if (await RowInsert.For<LedgerTransaction>(db, skipConflicts: true).TryInsertAsync(db, t, ct) is not { } transactionId)
        {
            if (tx is not null) await tx.RollbackAsync(ct);
            return new(null, PostError.Duplicate);
        }

        // The accounts in one plain read (it never waits for a row lock); only a missing one is created.
        var keys = posting.Legs.Select(l => l.Account.Key).Distinct().ToList();
        var accounts = await AccountsAsync(currency, keys, ct);
        foreach (var leg in posting.Legs)
            if (!accounts.ContainsKey(leg.Account.Key))
                accounts[leg.Account.Key] = (await EnsureAccountAsync(leg.Account, currency, now, ct), leg.Account.Kind, leg.Account.Kind == AccountKind.System);

        var entry = RowInsert.For<LedgerEntry>(db);
        foreach (var leg in posting.Legs)
        {
            await entry.InsertAsync(db, new LedgerEntry
            {
                TransactionId = transactionId, AccountId = accounts[leg.Account.Key].Id, Currency = currency,
                Amount = leg.Amount, CreatedAt = now,
            }, ct);
        }

        // One lock order for every posting, so two postings can't deadlock on PostgreSQL: wallets before system
        // accounts (the shared rows are locked last and held shortest), each by id.
        var update = db.HotCommand("""
            UPDATE ledger_accounts SET "Balance" = "Balance" + @delta
            WHERE "Id" = @id AND (@delta > 0 OR "AllowNegative" OR "Balance" + @delta >= 0)
            """, "@delta", "@id");
        foreach (var group in posting.Legs.GroupBy(l => accounts[l.Account.Key])
                     .OrderBy(g => g.Key.Kind == AccountKind.System).ThenBy(g => g.Key.Id))
        {
            var delta = group.Sum(l => l.Amount);
            if (delta == 0) continue;
            // In a sale's own PostgreSQL transaction a shared system row is updated with the COMMIT (SystemBalancesAtCommit).
            if (tx is null && group.Key.Kind == AccountKind.System && group.Key.AllowNegative && db.DeferredSystemDeltas is { } deferred)
            {
                deferred.Add((group.Key.Id, delta));
                continue;
            }
            update.Parameters[0].Value = delta;
            update.Parameters[1].Value = group.Key.Id;
            if (await update.ExecuteNonQueryAsync(ct) == 0)
            {
                if (tx is not null) await tx.RollbackAsync(ct);
                return new(null, PostError.InsufficientFunds);
            }
        }
        if (tx is not null) await tx.CommitAsync(ct);
        return new(transactionId, PostError.None);
    }

    private static readonly string[] KeyNames = [.. Enumerable.Range(0, 8).Select(i => "@k" + i)];

    /// <summary>The posting's accounts that exist, by key: a prepared statement per number of keys (two in almost every posting).</summary>
    private async Task<Dictionary<string, (long Id, AccountKind Kind, bool AllowNegative)>> AccountsAsync(string currency, List<string> keys, CancellationToken ct)
    {
        var result = new Dictionary<string, (long, AccountKind, bool)>(keys.Count);
        for (var from = 0; from < keys.Count; from += KeyNames.Length)
        {
            var n = Math.Min(KeyNames.Length, keys.Count - from);
            var cmd = db.HotCommand(AccountsSql[n], ["@c", .. KeyNames.AsSpan(0, n)]);
            cmd.Parameters[0].Value = currency;
            for (var i = 0; i < n; i++) cmd.Parameters[i + 1].Value = keys[from + i];
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) result[r.GetString(0)] = (r.GetInt64(1), Enum.Parse<AccountKind>(r.GetString(2)), r.GetBoolean(3));
        }
        return result;
    }

    private static readonly string[] AccountsSql = [.. Enumerable.Range(0, 9).Select(n =>
        $"""SELECT "Key", "Id", "Kind", "AllowNegative" FROM ledger_accounts WHERE "Currency" = @c AND "Key" IN ({string.Join(", ", KeyNames.Take(n))})""")];

    /// <summary>Creates the account when missing without aborting the surrounding transaction.</summary>
    private async Task<long> EnsureAccountAsync(AccountRef account, string currency, DateTime now, CancellationToken ct)
    {
        var kind = account.Kind.ToString();
        var allowNegative = account.Kind == AccountKind.System;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO ledger_accounts ("Key", "Currency", "Kind", "UserId", "Balance", "AllowNegative", "CreatedAt")
            VALUES ({account.Key}, {currency}, {kind}, {account.UserId}, {0L}, {allowNegative}, {now})
            ON CONFLICT ("Key", "Currency") DO NOTHING
            """, ct);
        return await db.LedgerAccounts.Where(a => a.Key == account.Key && a.Currency == currency)
            .Select(a => a.Id).SingleAsync(ct);
    }

    /// <summary>A wallet's balance in one currency (0 when it has no account yet).</summary>
    public async Task<long> BalanceAsync(long userId, string currency, CancellationToken ct)
    {
        var key = AccountRef.Wallet(userId).Key;
        var c = Currencies.Normalize(currency);
        return await db.LedgerAccounts.Where(a => a.Key == key && a.Currency == c).Select(a => a.Balance).FirstOrDefaultAsync(ct);
    }

    public sealed record AccountMismatch(long AccountId, string Key, string Currency, long CachedBalance, long SumOfEntries);
    public sealed record UnbalancedTransaction(long TransactionId, string Currency, long Sum);
    public sealed record NegativeWallet(long AccountId, string Key, string Currency, long Balance);
    public sealed record Verification(bool Ok, int Accounts, int Transactions, int Entries,
        IReadOnlyList<AccountMismatch> Mismatches, IReadOnlyList<UnbalancedTransaction> Unbalanced, IReadOnlyList<NegativeWallet> NegativeWallets);

    /// <summary>Checks every cached balance against its entries and every transaction's balance, on one snapshot.</summary>
    public async Task<Verification> VerifyAsync(CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(db.IsPostgres ? IsolationLevel.RepeatableRead : IsolationLevel.Serializable, ct);
        var accounts = await db.LedgerAccounts.AsNoTracking().ToListAsync(ct);
        var sums = await db.LedgerEntries.GroupBy(e => e.AccountId)
            .Select(g => new { g.Key, Sum = g.Sum(e => e.Amount) }).ToDictionaryAsync(x => x.Key, x => x.Sum, ct);
        var unbalanced = await db.LedgerEntries.GroupBy(e => new { e.TransactionId, e.Currency })
            .Select(g => new { g.Key.TransactionId, g.Key.Currency, Sum = g.Sum(e => e.Amount) })
            .Where(x => x.Sum != 0).ToListAsync(ct);
        var lonely = await db.LedgerTransactions.Where(t => !db.LedgerEntries.Any(e => e.TransactionId == t.Id))
            .Select(t => t.Id).ToListAsync(ct);
        var transactions = await db.LedgerTransactions.CountAsync(ct);
        var entries = await db.LedgerEntries.CountAsync(ct);
        await tx.CommitAsync(ct);

        var mismatches = accounts.Where(a => a.Balance != sums.GetValueOrDefault(a.Id))
            .Select(a => new AccountMismatch(a.Id, a.Key, a.Currency, a.Balance, sums.GetValueOrDefault(a.Id))).ToList();
        var badTx = unbalanced.Select(u => new UnbalancedTransaction(u.TransactionId, u.Currency, u.Sum))
            .Concat(lonely.Select(id => new UnbalancedTransaction(id, "", 0))).ToList();
        var negative = accounts.Where(a => !a.AllowNegative && a.Balance < 0)
            .Select(a => new NegativeWallet(a.Id, a.Key, a.Currency, a.Balance)).ToList();
        return new Verification(mismatches.Count == 0 && badTx.Count == 0 && negative.Count == 0,
            accounts.Count, transactions, entries, mismatches, badTx, negative);
    }
}
