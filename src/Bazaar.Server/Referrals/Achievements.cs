using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Shop;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Referrals;

/// <summary>What the achievement rules look at, counted for one user.</summary>
public sealed record ActivityFacts(long Purchases, long Deposits, long Referrals, long ActiveReferrals, long GiveawayWins);

/// <summary>One achievement: unlocked when <see cref="Progress"/> reaches <see cref="Target"/>.</summary>
public sealed record Achievement(string Code, string Badge, Localized Name, long Target, Func<ActivityFacts, long> Progress);

/// <summary>
/// The achievements. Adding one is adding a line to <see cref="Rules"/> (and a fact to <see cref="ActivityFacts"/>
/// when it needs a new count). Each is unlocked once, with a message; evaluation runs after the events that can
/// unlock one (a deposit, a referral), on /profile, and in the periodic sweep for purchases and giveaway wins.
/// </summary>
public sealed class Achievements(BazaarDb db, Outbox outbox, TimeProvider clock)
{
    public static readonly IReadOnlyList<Achievement> Rules =
    [
        new("first_purchase", "🛍", new("First purchase", "Первая покупка"), 1, f => f.Purchases),
        new("ten_purchases", "🛒", new("10 purchases", "10 покупок"), 10, f => f.Purchases),
        new("first_deposit", "💳", new("First deposit", "Первое пополнение"), 1, f => f.Deposits),
        new("first_referral", "🤝", new("First referral", "Первый приглашённый"), 1, f => f.Referrals),
        new("ten_referrals", "👥", new("10 referrals", "10 приглашённых"), 10, f => f.Referrals),
        new("giveaway_win", "🎁", new("Giveaway winner", "Победитель розыгрыша"), 1, f => f.GiveawayWins),
    ];

    public async Task<ActivityFacts> FactsAsync(long userId, CancellationToken ct) => new(
        await db.Orders.CountAsync(o => o.UserId == userId && o.Status == OrderStatus.Paid, ct),
        await db.Payments.CountAsync(p => p.UserId == userId && p.Purpose == PaymentPurpose.WalletTopup && p.Status == PaymentStatus.Completed, ct),
        await db.Referrals.CountAsync(r => r.ReferrerId == userId, ct),
        await db.Referrals.CountAsync(r => r.ReferrerId == userId && r.ActivatedAt != null, ct),
        await db.GiveawayWinners.CountAsync(w => w.UserId == userId, ct));

    /// <summary>Unlocks what the user has earned and not yet been given; returns the ones unlocked now.</summary>
    public async Task<IReadOnlyList<Achievement>> EvaluateAsync(long userId, CancellationToken ct)
    {
        var facts = await FactsAsync(userId, ct);
        var unlocked = await UnlockedAsync(userId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var fresh = new List<Achievement>();
        foreach (var rule in Rules)
            if (!unlocked.Contains(rule.Code) && rule.Progress(facts) >= rule.Target &&
                await Awards.TryAwardAsync(db, userId, AwardKinds.Achievement, rule.Code, now, ct))
                fresh.Add(rule);
        if (fresh.Count == 0) return fresh;
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is { IsBlocked: false })
            foreach (var a in fresh)
                outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id),
                    string.Format(ReferralTexts.AchievementUnlocked.In(user.LanguageCode), a.Badge, a.Name.In(user.LanguageCode)));
        return fresh;
    }

    public async Task<HashSet<string>> UnlockedAsync(long userId, CancellationToken ct) =>
        (await db.ReferralAwards.Where(a => a.UserId == userId && a.Kind == AwardKinds.Achievement).Select(a => a.Code).ToListAsync(ct)).ToHashSet();
}
