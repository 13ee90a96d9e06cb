using System.Text.Json;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Referrals;
using Bazaar.Server.Shop;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Broadcasts;

/// <summary>Who a broadcast goes to. Every segment leaves out users who blocked the bot and channels it cannot broadcast on.</summary>
public static class Segments
{
    public const string All = "all";
    public const string Language = "language";
    public const string Purchased = "purchased";
    public const string NeverPurchased = "never_purchased";
    public const string Tier = "tier";
    public const string Giveaway = "giveaway";
    public const string Ids = "ids";

    public static readonly string[] Names = [All, Language, Purchased, NeverPurchased, Tier, Giveaway, Ids];

    /// <summary>Telegram, and the sandbox (whose page shows what Telegram would). WhatsApp needs approved templates outside its 24-hour window.</summary>
    public static readonly string[] Channels = [ChatChannel.Telegram, ChatChannel.Sandbox];

    public const int MaxIds = 100_000;

    /// <summary>A segment as asked for; <see cref="Check"/> says what is wrong with it, if anything.</summary>
    public sealed record Spec(string Kind, string? Value)
    {
        public static Spec Of(string kind, string? language = null, string? tier = null, long? giveawayId = null, IReadOnlyList<long>? ids = null) =>
            kind switch
            {
                Language => new(kind, language?.Trim().ToLowerInvariant()),
                Tier => new(kind, tier?.Trim().ToLowerInvariant()),
                Giveaway => new(kind, giveawayId?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                Ids => new(kind, ids is null ? null : JsonSerializer.Serialize(ids)),
                _ => new(kind, null),
            };

        public IReadOnlyList<long> IdList() => Value is null ? [] : JsonSerializer.Deserialize<List<long>>(Value) ?? [];
    }

    /// <summary>Null when the segment is usable, else (code, detail) for a 400 or a chat message.</summary>
    public static (string Code, string Detail)? Check(Spec s, ReferralTiers tiers)
    {
        switch (s.Kind)
        {
            case All or Purchased or NeverPurchased: return null;
            case Language:
                return s.Value is { Length: >= 2 and <= 8 } ? null
                    : ("language_required", $"The {Language} segment needs \"language\", e.g. \"en\" or \"ru\".");
            case Tier:
                return s.Value is not null && tiers.Find(s.Value) is not null ? null
                    : ("unknown_tier", $"The {Tier} segment needs \"tier\": one of {string.Join(", ", tiers.All.Select(t => t.Code))}.");
            case Giveaway:
                return long.TryParse(s.Value, out var g) && g > 0 ? null
                    : ("giveaway_required", $"The {Giveaway} segment needs \"giveaway_id\".");
            case Ids:
                var ids = s.IdList();
                if (ids.Count == 0) return ("ids_required", $"The {Ids} segment needs \"user_ids\": Bazaar user ids, at least one.");
                if (ids.Count > MaxIds) return ("too_many_ids", $"At most {MaxIds} ids in one broadcast.");
                return null;
            default:
                return ("unknown_segment", $"\"segment\" must be one of {string.Join(", ", Names)}.");
        }
    }

    /// <summary>The users the segment names now, reachable ones only (not blocked, on a broadcast channel).</summary>
    public static async Task<IQueryable<ChatUser>> UsersAsync(BazaarDb db, Spec s, ReferralTiers tiers, CancellationToken ct)
    {
        var users = db.Users.AsNoTracking().Where(u => !u.IsBlocked && Channels.Contains(u.Channel));
        switch (s.Kind)
        {
            case All: return users;
            case Language:
                var lang = s.Value!;
                return users.Where(u => u.LanguageCode == lang || u.LanguageCode.StartsWith(lang + "-"));
            case Purchased: return users.Where(u => db.Orders.Any(o => o.UserId == u.Id && o.Status == OrderStatus.Paid));
            case NeverPurchased: return users.Where(u => !db.Orders.Any(o => o.UserId == u.Id && o.Status == OrderStatus.Paid));
            case Giveaway:
                var g = long.Parse(s.Value!, System.Globalization.CultureInfo.InvariantCulture);
                return users.Where(u => db.GiveawayParticipants.Any(p => p.GiveawayId == g && p.UserId == u.Id));
            case Tier:
                // The referrals' own tier computation decides; most users (no earnings) are in the lowest tier.
                var tier = tiers.Find(s.Value!)!;
                var earnings = await tiers.EarningsByUserAsync(db, ct);
                if (tier.Rank == 0)
                {
                    var higher = earnings.Where(e => tiers.TierOf(e.Value).Rank > 0).Select(e => e.Key).ToList();
                    return users.Where(u => !higher.Contains(u.Id));
                }
                var inTier = earnings.Where(e => tiers.TierOf(e.Value).Code == tier.Code).Select(e => e.Key).ToList();
                return users.Where(u => inTier.Contains(u.Id));
            case Ids:
                var ids = s.IdList();
                return users.Where(u => ids.Contains(u.Id));
            default:
                throw new ArgumentException($"Unknown segment {s.Kind}.");
        }
    }

    public static Localized Label(string kind) => kind switch
    {
        All => new("all users", "все пользователи"),
        Language => new("language", "язык"),
        Purchased => new("have purchased", "покупали"),
        NeverPurchased => new("never purchased", "не покупали"),
        Tier => new("referral tier", "реферальный уровень"),
        Giveaway => new("giveaway participants", "участники розыгрыша"),
        _ => new("listed users", "пользователи из списка"),
    };
}
