using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Referrals;

/// <summary>
/// Sandbox user 1001 (Alice) has invited five friends, two of whom made deposits, and a second referrer (Bob, who lets
/// /top show his name) invited two: /referral, /stats, /profile and /top have something to show.
/// </summary>
internal sealed class ReferralDemoSeed(TimeProvider clock, IOptions<ShopCurrencyOptions> shop, IOptions<ReferralOptions> options) : IDemoSeed
{
    public async Task SeedAsync(BazaarDb db, CancellationToken ct)
    {
        if (await db.Referrals.AnyAsync(ct)) return;
        var now = clock.GetUtcNow().UtcDateTime;
        var currency = Currencies.Normalize(shop.Value.Currency);
        var scale = (long)Currencies.Pow10(Currencies.Scale(currency));

        var alice = await UserAsync(db, "1001", "Alice", "alice", now, ct);
        var bob = await UserAsync(db, "1002", "Bob", "bob", now, ct);
        string[] friends = ["Dana", "Egor", "Fatima", "Gleb", "Hana"];
        var invited = new List<ChatUser>();
        for (var i = 0; i < friends.Length; i++)
            invited.Add(await UserAsync(db, (2001 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), friends[i], null, now, ct));
        var bobs = new[] { await UserAsync(db, "2101", "Ivan", null, now, ct), await UserAsync(db, "2102", "Jana", null, now, ct) };

        foreach (var (u, i) in invited.Select((u, i) => (u, i)))
            db.Referrals.Add(new Referral { RefereeId = u.Id, ReferrerId = alice.Id, LinkedAt = now.AddDays(-20 + i), ActivatedAt = now.AddDays(-20 + i), LinkedBy = "demo" });
        foreach (var u in bobs)
            db.Referrals.Add(new Referral { RefereeId = u.Id, ReferrerId = bob.Id, LinkedAt = now.AddDays(-3), ActivatedAt = now.AddDays(-3), LinkedBy = "demo" });
        db.ReferralProfiles.Add(new ReferralProfile { UserId = bob.Id, ShowNameInTop = true, UpdatedAt = now });
        await db.SaveChangesAsync(ct);

        var ledger = new Ledger(db, clock);
        var percent = options.Value.CommissionPercent;
        var n = 0;
        foreach (var (referrer, referee, deposit, at) in new[]
        {
            (alice, invited[0], 200 * scale, now.AddDays(-35)), (alice, invited[1], 150 * scale, now.AddDays(-2)),
            (alice, invited[0], 50 * scale, now.AddHours(-5)), (bob, bobs[0], 400 * scale, now.AddDays(-1)),
        })
        {
            var commission = (long)decimal.Floor(deposit * percent / 100m);
            if (commission <= 0) continue;
            var source = $"demo:referral:{++n}";
            db.ReferralCommissions.Add(new ReferralCommission
            {
                ReferrerId = referrer.Id, RefereeId = referee.Id, PaymentId = 0, SourceRef = source, Amount = commission, Currency = currency, CreatedAt = at,
            });
            await db.SaveChangesAsync(ct);
            await ledger.PostAsync(new Posting("referral_commission", currency,
                [new Leg(AccountRef.ReferralExpense, -commission), new Leg(AccountRef.Wallet(referrer.Id), commission)])
            {
                ExternalRef = ReferralService.CommissionRef(source), Description = "Demo referral commission",
            }, ct);
        }
    }

    private static async Task<ChatUser> UserAsync(BazaarDb db, string externalId, string name, string? username, DateTime now, CancellationToken ct)
    {
        var u = await db.Users.FirstOrDefaultAsync(x => x.Channel == ChatChannel.Sandbox && x.ExternalId == externalId, ct);
        if (u is not null) return u;
        u = new ChatUser { Channel = ChatChannel.Sandbox, ExternalId = externalId, FirstName = name, Username = username, CreatedAt = now, LastSeenAt = now };
        db.Users.Add(u);
        await db.SaveChangesAsync(ct);
        return u;
    }
}
