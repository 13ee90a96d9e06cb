using Bazaar.Server.Referrals;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Referrals;

/// <summary>Tiers at 1 / 5 / 10 / 50 USD of lifetime earnings, 10% commission (SmallStepsAppFactory).</summary>
public sealed class TierTests(SmallStepsAppFactory factory) : IClassFixture<SmallStepsAppFactory>
{
    private ReferralTiers Tiers => factory.Services.GetRequiredService<ReferralTiers>();

    [Fact]
    public void The_tier_is_the_highest_threshold_reached_with_the_configured_values()
    {
        Assert.Equal("bronze", Tiers.TierOf(0).Code);
        Assert.Equal("bronze", Tiers.TierOf(99).Code);
        Assert.Equal("silver", Tiers.TierOf(1_00).Code);
        Assert.Equal("gold", Tiers.TierOf(5_00).Code);
        Assert.Equal("platinum", Tiers.TierOf(49_99).Code);
        Assert.Equal("diamond", Tiers.TierOf(50_00).Code);
        Assert.Equal(["🥉", "🥈", "🥇", "💠", "💎"], Tiers.All.Select(t => t.Badge));
    }

    [Fact]
    public async Task Crossing_a_tier_notifies_once_even_after_dropping_back_and_crossing_again()
    {
        var (aliceTg, alice) = await factory.Starter("Alice");
        var (_, bob) = await factory.Invitee(alice, "Bob");
        string[] TierNotes(List<string> texts) => texts.Where(t => t.Contains("new referral tier")).ToArray();

        await factory.RobokassaDeposit(bob.Id, 9.90m);           // 0.99: still Bronze
        Assert.Empty(TierNotes(await factory.Texts(aliceTg)));
        await factory.RobokassaDeposit(bob.Id, 0.10m);           // 1.00: Silver
        await factory.RobokassaDeposit(bob.Id, 10m);             // 2.00: Silver still
        Assert.Equal(["⭐ You reached a new referral tier: <b>🥈 Silver</b>!"], TierNotes(await factory.Texts(aliceTg)));

        var stars = await factory.StarsDeposit(bob.Id, 40m);     // 6.00: Gold
        using var client = factory.AdminClient();
        Assert.Equal(200, (int)(await client.PostAsync($"/api/v1/admin/payments/{stars}/refund", null)).StatusCode); // 2.00: back to Silver
        await factory.StarsDeposit(bob.Id, 40m);                 // 6.00: Gold again, no second message

        Assert.Equal(["⭐ You reached a new referral tier: <b>🥈 Silver</b>!", "⭐ You reached a new referral tier: <b>🥇 Gold</b>!"],
            TierNotes(await factory.Texts(aliceTg)));
        Assert.Equal("gold", (await factory.WithDb(db => Tiers.TierOfUserAsync(db, alice.Id, default))).Code);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Jumping_several_tiers_at_once_announces_only_the_highest()
    {
        var (aliceTg, alice) = await factory.Starter("Alice");
        var (_, bob) = await factory.Invitee(alice, "Bob");

        await factory.RobokassaDeposit(bob.Id, 120m); // 12.00: Platinum

        Assert.Equal(["⭐ You reached a new referral tier: <b>💠 Platinum</b>!"],
            (await factory.Texts(aliceTg)).Where(t => t.Contains("new referral tier")));
    }

    [Fact]
    public async Task Users_in_a_tier_are_listed_for_segments()
    {
        var (_, alice) = await factory.Starter("Alice");
        var (_, bob) = await factory.Invitee(alice, "Bob");
        await factory.RobokassaDeposit(bob.Id, 60m); // 6.00: Gold

        var gold = await factory.WithDb(db => Tiers.UsersInTierAsync(db, "gold", default));
        var bronze = await factory.WithDb(db => Tiers.UsersInTierAsync(db, "bronze", default));

        Assert.Contains(alice.Id, gold);
        Assert.DoesNotContain(alice.Id, bronze);
        Assert.Contains(bob.Id, bronze);
    }
}
