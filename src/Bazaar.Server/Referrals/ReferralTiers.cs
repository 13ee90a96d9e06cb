using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Referrals;

/// <param name="Code">Stable name (bronze, silver ...), also the award code.</param>
/// <param name="Threshold">Lifetime earnings in minor units of the shop currency at which it starts.</param>
public sealed record Tier(string Code, Localized Name, string Badge, long Threshold, int Rank)
{
    public string Label(string language) => $"{Badge} {Name.In(language)}";
}

/// <summary>
/// Tiers by lifetime referral earnings (net of reversals, in the shop currency), thresholds from
/// Referrals:Tiers. <see cref="TierOf(long)"/> is the one place a tier is computed (broadcast segments read it too).
/// </summary>
public sealed class ReferralTiers
{
    public static readonly IReadOnlyList<(string Code, Localized Name, string Badge, decimal Default)> Badges =
    [
        ("bronze", new("Bronze", "Бронза"), "🥉", 0m),
        ("silver", new("Silver", "Серебро"), "🥈", 100m),
        ("gold", new("Gold", "Золото"), "🥇", 500m),
        ("platinum", new("Platinum", "Платина"), "💠", 1000m),
        ("diamond", new("Diamond", "Бриллиант"), "💎", 5000m),
    ];

    public string Currency { get; }
    /// <summary>Lowest first.</summary>
    public IReadOnlyList<Tier> All => _all;

    private volatile IReadOnlyList<Tier> _all;

    public ReferralTiers(IOptionsMonitor<ReferralOptions> options, IOptions<ShopCurrencyOptions> shop)
    {
        Currency = Currencies.Normalize(shop.Value.Currency);
        _all = Build(options.CurrentValue);
        // The owner may change the thresholds in the dashboard's settings (which checks the names first).
        options.OnChange(o => _all = Build(o));
    }

    private IReadOnlyList<Tier> Build(ReferralOptions options)
    {
        var scale = Currencies.Pow10(Currencies.Scale(Currency));
        foreach (var name in options.Tiers.Keys)
            if (!Badges.Any(b => b.Code.Equals(name, StringComparison.OrdinalIgnoreCase)))
                throw new InvalidOperationException($"Referrals:Tiers:{name} is not a tier; the tiers are {string.Join(", ", Badges.Select(b => b.Code))}.");
        return Badges.Select(b => (b, At: options.Tiers.TryGetValue(b.Code, out var v) ? v : b.Default))
            .OrderBy(x => x.At)
            .Select((x, i) => new Tier(x.b.Code, x.b.Name, x.b.Badge, (long)decimal.Round(x.At * scale), i))
            .ToList();
    }

    /// <summary>The tier for lifetime earnings (minor units of the shop currency): the highest whose threshold is reached.</summary>
    public Tier TierOf(long earningsMinor)
    {
        var tier = All[0];
        foreach (var t in All)
            if (earningsMinor >= t.Threshold) tier = t;
        return tier;
    }

    /// <summary>The next tier up, or null at the top.</summary>
    public Tier? Next(Tier tier) => tier.Rank + 1 < All.Count ? All[tier.Rank + 1] : null;

    public Tier? Find(string code) => All.FirstOrDefault(t => t.Code.Equals(code, StringComparison.OrdinalIgnoreCase));

    /// <summary>A user's lifetime referral earnings in the shop currency (minor units), net of reversed commissions.</summary>
    public Task<long> EarningsAsync(BazaarDb db, long userId, CancellationToken ct) =>
        db.ReferralCommissions.Where(c => c.ReferrerId == userId && c.Currency == Currency)
            .SumAsync(c => c.Amount - c.ReversedAmount, ct);

    /// <summary>A user's tier now.</summary>
    public async Task<Tier> TierOfUserAsync(BazaarDb db, long userId, CancellationToken ct) =>
        TierOf(await EarningsAsync(db, userId, ct));

    /// <summary>Every user's earnings in the shop currency, for those with any (e.g. to pick a tier's users for a broadcast).</summary>
    public async Task<Dictionary<long, long>> EarningsByUserAsync(BazaarDb db, CancellationToken ct) =>
        await db.ReferralCommissions.Where(c => c.Currency == Currency)
            .GroupBy(c => c.ReferrerId)
            .Select(g => new { g.Key, Sum = g.Sum(c => c.Amount - c.ReversedAmount) })
            .ToDictionaryAsync(x => x.Key, x => x.Sum, ct);

    /// <summary>The users whose tier is <paramref name="code"/> now (users with no earnings are in the lowest tier).</summary>
    public async Task<IReadOnlyList<long>> UsersInTierAsync(BazaarDb db, string code, CancellationToken ct)
    {
        var tier = Find(code) ?? throw new ArgumentException($"Unknown tier '{code}'.", nameof(code));
        var earnings = await EarningsByUserAsync(db, ct);
        var ids = earnings.Where(e => TierOf(e.Value).Code == tier.Code).Select(e => e.Key).ToList();
        if (tier.Rank == 0)
        {
            var earning = earnings.Keys.ToList();
            ids.AddRange(await db.Users.Where(u => !earning.Contains(u.Id)).Select(u => u.Id).ToListAsync(ct));
        }
        return ids;
    }
}
