using Bazaar.Server.Channels;
using Bazaar.Server.Checks;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Referrals;

public enum LinkOutcome { Linked, UnknownReferrer, UnknownReferee, SelfReferral, AlreadyLinked, Cycle, NotFirstContact }

/// <summary>
/// Linking, commissions, milestones and tier awards. Everything runs in the caller's transaction (the update's,
/// the payment completion's, the refund's); ledger postings each get a savepoint, so a refused one undoes only itself.
/// </summary>
public sealed class ReferralService(BazaarDb db, Outbox outbox, Ledger ledger, CheckCredits credits, ReferralTiers tiers,
    Achievements achievements, IOptions<ReferralOptions> options, TimeProvider clock, ILogger<ReferralService> log)
{
    private ReferralOptions O => options.Value;

    public static string CommissionRef(string sourceRef) => $"referral:{sourceRef}";
    public static string MilestonePrefix(long referrerId) => $"referral:milestone:{referrerId}:";
    public static string MilestoneRef(long referrerId, long k) => MilestonePrefix(referrerId) + k;

    /// <summary>
    /// Ties <paramref name="refereeId"/> to <paramref name="referrerId"/>: never oneself, never a second time, never
    /// closing a loop (A invited B invited A). The referrer is told; milestones and achievements follow.
    /// </summary>
    public async Task<LinkOutcome> LinkAsync(long refereeId, long referrerId, string linkedBy, CancellationToken ct)
    {
        if (refereeId == referrerId) return LinkOutcome.SelfReferral;
        var referrer = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == referrerId, ct);
        if (referrer is null) return LinkOutcome.UnknownReferrer;
        var referee = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == refereeId, ct);
        if (referee is null) return LinkOutcome.UnknownReferee;
        // Two links racing could each pass the loop check below; on PostgreSQL they take turns here (SQLite has one writer).
        if (db.IsPostgres) await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(7301012)", ct);
        if (await db.Referrals.AnyAsync(r => r.RefereeId == refereeId, ct)) return LinkOutcome.AlreadyLinked;
        if (await ReachesAsync(referrerId, refereeId, ct)) return LinkOutcome.Cycle;

        var now = clock.GetUtcNow().UtcDateTime;
        DateTime? activated = O.ActiveWhen == ActiveWhen.Started ? now : null;
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO referrals ("RefereeId", "ReferrerId", "LinkedAt", "ActivatedAt", "LinkedBy")
            VALUES ({refereeId}, {referrerId}, {now}, {activated}, {linkedBy})
            ON CONFLICT ("RefereeId") DO NOTHING
            """, ct);
        if (inserted == 0) return LinkOutcome.AlreadyLinked;

        var invited = await db.Referrals.CountAsync(r => r.ReferrerId == referrerId, ct);
        Notify(referrer, string.Format(ReferralTexts.NewReferral.In(referrer.LanguageCode), ReferralTexts.Html(referee.DisplayName), invited));
        if (activated is not null) await CheckMilestonesAsync(referrerId, ct);
        await achievements.EvaluateAsync(referrerId, ct);
        await db.SaveChangesAsync(ct);
        return LinkOutcome.Linked;
    }

    /// <summary>Whether walking up the invitations from <paramref name="from"/> reaches <paramref name="target"/>.</summary>
    private async Task<bool> ReachesAsync(long from, long target, CancellationToken ct)
    {
        var seen = new HashSet<long>();
        for (long? at = from; at is { } id && seen.Add(id);)
        {
            if (id == target) return true;
            at = await db.Referrals.Where(r => r.RefereeId == id).Select(r => (long?)r.ReferrerId).FirstOrDefaultAsync(ct);
        }
        return false;
    }

    /// <summary>A completed deposit: the referral may become active, and the referrer gets the commission once per credit.</summary>
    internal async Task OnDepositAsync(Payment payment, long amount, string currency, string sourceRef, CancellationToken ct)
    {
        var referral = await db.Referrals.AsNoTracking().FirstOrDefaultAsync(r => r.RefereeId == payment.UserId, ct);
        if (referral is not null)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var activated = O.ActiveWhen == ActiveWhen.FirstDeposit && await db.Referrals
                .Where(r => r.RefereeId == payment.UserId && r.ActivatedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.ActivatedAt, now), ct) == 1;
            await PayCommissionAsync(referral, payment, amount, currency, sourceRef, now, ct);
            if (activated) await CheckMilestonesAsync(referral.ReferrerId, ct);
        }
        await achievements.EvaluateAsync(payment.UserId, ct);
        await db.SaveChangesAsync(ct);
    }

    private async Task PayCommissionAsync(Referral referral, Payment payment, long amount, string currency, string sourceRef,
        DateTime now, CancellationToken ct)
    {
        var commission = (long)decimal.Floor(amount * O.CommissionPercent / 100m);
        if (commission <= 0) return;
        var c = Currencies.Normalize(currency);
        // The row is the once-only mark: a completion delivered twice finds it there and pays nothing.
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO referral_commissions ("ReferrerId", "RefereeId", "PaymentId", "SourceRef", "Amount", "Currency", "CreatedAt", "ReversedAmount")
            VALUES ({referral.ReferrerId}, {referral.RefereeId}, {payment.Id}, {sourceRef}, {commission}, {c}, {now}, {0L})
            ON CONFLICT ("SourceRef") DO NOTHING
            """, ct);
        if (inserted == 0) return;
        var posted = await PostAsync(new Posting("referral_commission", c,
            [new Leg(AccountRef.ReferralExpense, -commission), new Leg(AccountRef.Wallet(referral.ReferrerId), commission)])
        {
            ExternalRef = CommissionRef(sourceRef), Description = $"Referral commission on deposit #{payment.Id} of user {referral.RefereeId}",
        }, ct);
        if (!posted.Ok) throw new InvalidOperationException($"The referral commission on {sourceRef} could not be posted: {posted.Error}.");

        var referrer = await db.Users.AsNoTracking().FirstAsync(u => u.Id == referral.ReferrerId, ct);
        var referee = await db.Users.AsNoTracking().FirstAsync(u => u.Id == referral.RefereeId, ct);
        Notify(referrer, string.Format(ReferralTexts.CommissionEarned.In(referrer.LanguageCode), Currencies.Format(commission, c),
            ReferralTexts.Html(referee.DisplayName)));
        await CheckTierAsync(referrer, ct);
    }

    /// <summary>A refund attempt reversed the deposit: take each of its commissions back (what the referrer still holds).</summary>
    internal async Task OnReversedAsync(Payment payment, string reversalRef, CancellationToken ct)
    {
        var open = await db.ReferralCommissions.AsNoTracking().Where(c => c.PaymentId == payment.Id && c.ReversedAt == null).ToListAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var c in open)
        {
            var claimed = await db.ReferralCommissions.Where(x => x.Id == c.Id && x.ReversedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ReversedAt, now).SetProperty(x => x.ReversalRef, reversalRef), ct);
            if (claimed == 0) continue;
            var take = c.Amount;
            var r = await TakeBackAsync(c, take, reversalRef, ct);
            if (r.Error == PostError.InsufficientFunds)
            {
                // Spent already: take what is left; the rest is the shop's loss (kept visible on the row).
                take = Math.Min(c.Amount, await ledger.BalanceAsync(c.ReferrerId, c.Currency, ct));
                r = take > 0 ? await TakeBackAsync(c, take, reversalRef, ct) : new PostResult(null, PostError.None);
                log.LogWarning("Referral commission {Id} reversed only {Take} of {Amount}: the referrer had spent it", c.Id, take, c.Amount);
            }
            if (!r.Ok) throw new InvalidOperationException($"The referral commission {c.Id} could not be reversed: {r.Error}.");
            await db.ReferralCommissions.Where(x => x.Id == c.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ReversedAmount, take), ct);
            var referrer = await db.Users.AsNoTracking().FirstAsync(u => u.Id == c.ReferrerId, ct);
            Notify(referrer, string.Format(ReferralTexts.CommissionReversed.In(referrer.LanguageCode), Currencies.Format(take, c.Currency)));
        }
        await db.SaveChangesAsync(ct);
    }

    private Task<PostResult> TakeBackAsync(ReferralCommission c, long take, string reversalRef, CancellationToken ct) =>
        PostAsync(new Posting("referral_reversal", c.Currency,
            [new Leg(AccountRef.Wallet(c.ReferrerId), -take), new Leg(AccountRef.ReferralExpense, take)])
        {
            ExternalRef = $"referral:{c.Id}:reversal:{reversalRef}", Description = $"Referral commission #{c.Id} reversed: deposit #{c.PaymentId} refunded",
        }, ct);

    /// <summary>The provider refused the refund that <paramref name="reversalRef"/> started: give the commissions back.</summary>
    internal async Task OnReverseUndoneAsync(Payment payment, string reversalRef, CancellationToken ct)
    {
        var reversed = await db.ReferralCommissions.AsNoTracking().Where(c => c.PaymentId == payment.Id && c.ReversalRef == reversalRef).ToListAsync(ct);
        foreach (var c in reversed)
        {
            var reset = await db.ReferralCommissions.Where(x => x.Id == c.Id && x.ReversalRef == reversalRef)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ReversedAt, (DateTime?)null).SetProperty(x => x.ReversalRef, (string?)null)
                    .SetProperty(x => x.ReversedAmount, 0L), ct);
            if (reset == 0 || c.ReversedAmount == 0) continue;
            var r = await PostAsync(new Posting("referral_reversal_undo", c.Currency,
                [new Leg(AccountRef.ReferralExpense, -c.ReversedAmount), new Leg(AccountRef.Wallet(c.ReferrerId), c.ReversedAmount)])
            {
                ExternalRef = $"referral:{c.Id}:reversal:{reversalRef}:undo", Description = $"Referral commission #{c.Id} restored: the refund failed",
            }, ct);
            if (!r.Ok) throw new InvalidOperationException($"The reversal of referral commission {c.Id} could not be undone: {r.Error}.");
        }
    }

    /// <summary>
    /// Grants every milestone reached and not yet granted (so one missed by a race is caught up by the next
    /// activation); the credit grant's idempotency key makes each one once-only.
    /// </summary>
    public async Task CheckMilestonesAsync(long referrerId, CancellationToken ct)
    {
        if (O.MilestoneCount <= 0 || O.MilestoneReward <= 0) return;
        var active = await db.Referrals.CountAsync(r => r.ReferrerId == referrerId && r.ActivatedAt != null, ct);
        var reached = active / O.MilestoneCount;
        if (reached == 0) return;
        var prefix = MilestonePrefix(referrerId);
        var granted = (await db.LedgerTransactions.Where(t => t.ExternalRef != null && t.ExternalRef.StartsWith(prefix))
            .Select(t => t.ExternalRef!).ToListAsync(ct)).ToHashSet();
        var referrer = await db.Users.AsNoTracking().FirstAsync(u => u.Id == referrerId, ct);
        for (var k = 1; k <= reached; k++)
        {
            if (granted.Contains(MilestoneRef(referrerId, k))) continue;
            var r = await credits.GrantAsync(referrerId, O.MilestoneReward, MilestoneRef(referrerId, k), $"referral milestone {k * O.MilestoneCount}", ct);
            if (r.Ok)
                Notify(referrer, string.Format(ReferralTexts.MilestoneReached.In(referrer.LanguageCode), k * O.MilestoneCount, O.MilestoneReward));
            else if (r.Error != PostError.Duplicate)
                throw new InvalidOperationException($"Granting referral milestone {k} to {referrerId} failed: {r.Error}.");
        }
    }

    /// <summary>Records every tier reached (once each) and tells the user about the highest new one.</summary>
    public async Task CheckTierAsync(ChatUser user, CancellationToken ct)
    {
        var tier = tiers.TierOf(await tiers.EarningsAsync(db, user.Id, ct));
        Tier? announced = null;
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var t in tiers.All.Where(t => t.Rank > 0 && t.Rank <= tier.Rank))
            if (await Awards.TryAwardAsync(db, user.Id, AwardKinds.Tier, t.Code, now, ct)) announced = t;
        if (announced is not null)
            Notify(user, string.Format(ReferralTexts.TierReached.In(user.LanguageCode), announced.Label(user.LanguageCode)));
    }

    private void Notify(ChatUser user, string text)
    {
        if (user.IsBlocked) return;
        outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id), text);
    }

    private const string Savepoint = "referrals";

    /// <summary>A posting in a savepoint of the caller's transaction: a refusal (insufficient funds) undoes only itself.</summary>
    private async Task<PostResult> PostAsync(Posting posting, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not { } outer) return await ledger.PostAsync(posting, ct);
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
}

/// <summary>Once-only awards (tiers reached, achievements unlocked): an insert that a second attempt cannot repeat.</summary>
public static class Awards
{
    /// <summary>True when this call recorded it, false when it was there already. Never aborts the caller's transaction.</summary>
    public static async Task<bool> TryAwardAsync(BazaarDb db, long userId, string kind, string code, DateTime now, CancellationToken ct) =>
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO referral_awards ("UserId", "Kind", "Code", "AwardedAt") VALUES ({userId}, {kind}, {code}, {now})
            ON CONFLICT ("UserId", "Kind", "Code") DO NOTHING
            """, ct) == 1;
}

/// <summary>The referral side of every payment: commissions on completed deposits (wallet top-ups), reversed on refund.</summary>
internal sealed class ReferralPaymentListener(ReferralService referrals) : IPaymentListener
{
    public Task OnCompletedAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        payment.Purpose == PaymentPurpose.WalletTopup ? referrals.OnDepositAsync(payment, amount, currency, externalRef, ct) : Task.CompletedTask;

    public Task OnReversedAsync(Payment payment, string reversalRef, CancellationToken ct) =>
        payment.Purpose == PaymentPurpose.WalletTopup ? referrals.OnReversedAsync(payment, reversalRef, ct) : Task.CompletedTask;

    public Task OnReverseUndoneAsync(Payment payment, string reversalRef, CancellationToken ct) =>
        payment.Purpose == PaymentPurpose.WalletTopup ? referrals.OnReverseUndoneAsync(payment, reversalRef, ct) : Task.CompletedTask;
}
