using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Shop;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Checks;

/// <summary>
/// A user's balance of paid-check credits: a ledger account of its own (<c>credits:{userId}</c>) in the
/// unit <see cref="Currencies.Credit"/> (scale 0), moved only by balanced postings against system accounts.
/// Every call joins the caller's transaction as a savepoint (or runs one of its own at the write gate), so a
/// refused spend undoes only itself, and an idempotency key makes each grant, spend and refund happen at most once.
/// </summary>
public sealed class CheckCredits(BazaarDb db, Ledger ledger, WriteGate gate) : IShopCredits
{
    public static AccountRef Account(long userId) => new($"credits:{userId}", AccountKind.Wallet, userId);
    /// <summary>Where granted credits come from (purchases, milestones, operators); may go negative.</summary>
    public static readonly AccountRef Issued = AccountRef.System("credits:issued");
    /// <summary>Where spent credits go; refunds come back from it.</summary>
    public static readonly AccountRef Spent = AccountRef.System("credits:spent");

    public static string SpendKey(long checkId) => $"check:{checkId}:spend";
    public static string RefundKey(long checkId) => $"check:{checkId}:refund";

    public async Task<long> BalanceAsync(long userId, CancellationToken ct)
    {
        var key = Account(userId).Key;
        return await db.LedgerAccounts.Where(a => a.Key == key && a.Currency == Currencies.Credit)
            .Select(a => a.Balance).FirstOrDefaultAsync(ct);
    }

    /// <summary>
    /// Adds credits. A second grant with the same idempotency key adds nothing and answers
    /// <see cref="PostError.Duplicate"/> (the first one stands).
    /// </summary>
    public Task<PostResult> GrantAsync(long userId, long credits, string idempotencyKey, string reason, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(credits);
        ArgumentException.ThrowIfNullOrWhiteSpace(idempotencyKey);
        return PostAsync(new Posting("credit_grant", Currencies.Credit, [new Leg(Issued, -credits), new Leg(Account(userId), credits)])
        {
            ExternalRef = idempotencyKey, Description = $"{credits} check credit(s)", Reason = reason,
        }, ct);
    }

    /// <summary>Spends one credit for a check: <see cref="PostError.InsufficientFunds"/> at zero, Duplicate if already spent.</summary>
    public Task<PostResult> SpendAsync(long userId, long checkId, CancellationToken ct) =>
        PostAsync(new Posting("credit_spend", Currencies.Credit, [new Leg(Account(userId), -1), new Leg(Spent, 1)])
        {
            ExternalRef = SpendKey(checkId), Description = $"Check #{checkId}",
        }, ct);

    /// <summary>Gives a check's credit back; at most once per check (Duplicate the second time).</summary>
    public Task<PostResult> RefundAsync(long userId, long checkId, string reason, CancellationToken ct) =>
        PostAsync(new Posting("credit_refund", Currencies.Credit, [new Leg(Spent, -1), new Leg(Account(userId), 1)])
        {
            ExternalRef = RefundKey(checkId), Description = $"Refund for check #{checkId}", Reason = reason,
        }, ct);

    /// <summary>The shop's credit packs: granted in the purchase's transaction, once per order reference.</summary>
    async Task IShopCredits.GrantAsync(long userId, long credits, string reference, CancellationToken ct)
    {
        var r = await GrantAsync(userId, credits, reference, "shop credit pack", ct);
        if (!r.Ok && r.Error != PostError.Duplicate)
            throw new InvalidOperationException($"Granting {credits} credits for {reference} failed: {r.Error}.");
    }

    private const string Savepoint = "check_credits";

    private async Task<PostResult> PostAsync(Posting posting, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is { } outer)
        {
            if (db.ChangeTracker.HasChanges()) await db.SaveChangesAsync(ct);
            await outer.CreateSavepointAsync(Savepoint, ct);
            try
            {
                var r = await ledger.PostAsync(posting, ct);
                if (r.Ok) await outer.ReleaseSavepointAsync(Savepoint, ct);
                else await outer.RollbackToSavepointAsync(Savepoint, ct);
                return r;
            }
            catch
            {
                try { await outer.RollbackToSavepointAsync(Savepoint, CancellationToken.None); }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException) { }
                throw;
            }
        }
        using (await gate.EnterAsync(ct))
            return await ledger.PostAsync(posting, ct);
    }
}

/// <summary>/balance shows the credits beside the money.</summary>
internal sealed class CreditBalanceLines(CheckCredits credits) : IBalanceLines
{
    public async Task<IReadOnlyList<string>> LinesAsync(long userId, string language, CancellationToken ct)
    {
        var n = await credits.BalanceAsync(userId, ct);
        return [string.Format(CheckTexts.CreditsBalance.In(language), n)];
    }
}
