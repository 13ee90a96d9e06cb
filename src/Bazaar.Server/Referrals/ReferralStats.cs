using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Referrals;

public sealed record ReferralSummary(long UserId, string Code, string? Link, int Invited, int Active, string Currency,
    long EarnedMinor, long EarnedThisMonthMinor, Tier Tier, Tier? NextTier, int MilestoneEvery, int MilestoneReward,
    int MilestonesReached, int NextMilestoneAt);

public sealed record MonthEarnings(string Month, string Currency, long EarnedMinor, long ReversedMinor, int Deposits);

public enum TopBy { Earnings, Count }
public enum TopPeriod { Month, AllTime }

public sealed record TopRow(int Rank, long UserId, string? Name, long Value);
public sealed record TopBoard(TopBy By, TopPeriod Period, string Currency, IReadOnlyList<TopRow> Rows, TopRow? Caller);

/// <summary>Read side: a referrer's summary, earnings by month, their referrals, and the leaderboard.</summary>
public sealed class ReferralStats(BazaarDb db, ReferralTiers tiers, IOptions<ReferralOptions> options, BotIdentity identity, TimeProvider clock)
{
    public DateTime MonthStart
    {
        get
        {
            var now = clock.GetUtcNow().UtcDateTime;
            return new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        }
    }

    public async Task<ReferralSummary> SummaryAsync(long userId, CancellationToken ct)
    {
        var o = options.Value;
        var invited = await db.Referrals.CountAsync(r => r.ReferrerId == userId, ct);
        var active = await db.Referrals.CountAsync(r => r.ReferrerId == userId && r.ActivatedAt != null, ct);
        var earned = await tiers.EarningsAsync(db, userId, ct);
        var from = MonthStart;
        var month = await db.ReferralCommissions.Where(c => c.ReferrerId == userId && c.Currency == tiers.Currency && c.CreatedAt >= from)
            .SumAsync(c => c.Amount - c.ReversedAmount, ct);
        var tier = tiers.TierOf(earned);
        var every = Math.Max(0, o.MilestoneCount);
        var reached = every == 0 ? 0 : active / every;
        return new ReferralSummary(userId, ReferralCodes.Of(userId), ReferralCodes.Link(identity.Username, userId), invited, active,
            tiers.Currency, earned, month, tier, tiers.Next(tier), every, o.MilestoneReward, reached, every == 0 ? 0 : (reached + 1) * every);
    }

    /// <summary>Commissions grouped by the month they were earned, newest first.</summary>
    public async Task<IReadOnlyList<MonthEarnings>> ByMonthAsync(long userId, CancellationToken ct)
    {
        var rows = await db.ReferralCommissions.AsNoTracking().Where(c => c.ReferrerId == userId)
            .Select(c => new { c.CreatedAt, c.Currency, c.Amount, c.ReversedAmount }).ToListAsync(ct);
        return rows.GroupBy(r => (Month: r.CreatedAt.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), r.Currency))
            .OrderByDescending(g => g.Key.Month).ThenBy(g => g.Key.Currency)
            .Select(g => new MonthEarnings(g.Key.Month, g.Key.Currency, g.Sum(r => r.Amount), g.Sum(r => r.ReversedAmount), g.Count()))
            .ToList();
    }

    /// <summary>
    /// The top referrers by net earnings (shop currency) or by number invited, this month or all time. Equal values
    /// share a rank (1, 2, 2, 4). A name is given only for users who allowed it in /profile; the caller's own row comes too.
    /// </summary>
    public async Task<TopBoard> TopAsync(TopBy by, TopPeriod period, long? callerId, CancellationToken ct)
    {
        var from = period == TopPeriod.Month ? MonthStart : DateTime.MinValue;
        List<(long UserId, long Value)> values;
        if (by == TopBy.Earnings)
            values = (await db.ReferralCommissions.Where(c => c.Currency == tiers.Currency && c.CreatedAt >= from)
                    .GroupBy(c => c.ReferrerId).Select(g => new { g.Key, V = g.Sum(c => c.Amount - c.ReversedAmount) }).ToListAsync(ct))
                .Where(x => x.V > 0).Select(x => (x.Key, x.V)).ToList();
        else
            values = (await db.Referrals.Where(r => r.LinkedAt >= from)
                    .GroupBy(r => r.ReferrerId).Select(g => new { g.Key, V = g.Count() }).ToListAsync(ct))
                .Select(x => (x.Key, (long)x.V)).ToList();

        var ordered = values.OrderByDescending(v => v.Value).ThenBy(v => v.UserId).ToList();
        var ranked = new List<(int Rank, long UserId, long Value)>(ordered.Count);
        for (var i = 0; i < ordered.Count; i++)
            ranked.Add((i > 0 && ordered[i].Value == ordered[i - 1].Value ? ranked[i - 1].Rank : i + 1, ordered[i].UserId, ordered[i].Value));

        var top = ranked.Take(Math.Max(1, options.Value.TopSize)).ToList();
        var ids = top.Select(t => t.UserId).ToList();
        var shown = await db.Users.AsNoTracking()
            .Where(u => ids.Contains(u.Id) && db.ReferralProfiles.Any(p => p.UserId == u.Id && p.ShowNameInTop))
            .ToDictionaryAsync(u => u.Id, u => u.Username != null && u.Username != "" ? "@" + u.Username : u.DisplayName, ct);
        var rows = top.Select(t => new TopRow(t.Rank, t.UserId, shown.GetValueOrDefault(t.UserId), t.Value)).ToList();
        TopRow? caller = null;
        if (callerId is { } me && ranked.FirstOrDefault(r => r.UserId == me) is { Rank: > 0 } mine)
            caller = new TopRow(mine.Rank, me, null, mine.Value);
        return new TopBoard(by, period, tiers.Currency, rows, caller);
    }

    public async Task<bool> ShowsNameAsync(long userId, CancellationToken ct) =>
        await db.ReferralProfiles.AnyAsync(p => p.UserId == userId && p.ShowNameInTop, ct);

    public async Task SetShowNameAsync(long userId, bool show, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO referral_profiles ("UserId", "ShowNameInTop", "UpdatedAt") VALUES ({userId}, {show}, {now})
            ON CONFLICT ("UserId") DO UPDATE SET "ShowNameInTop" = excluded."ShowNameInTop", "UpdatedAt" = excluded."UpdatedAt"
            """, ct);
    }
}
