using Bazaar.Server.Data;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Referrals;
using Bazaar.Server.Jobs;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Referrals;

/// <summary>Each achievement unlocks once, with one message; /profile lists them with progress.</summary>
public sealed class AchievementTests(ReferralsAppFactory factory) : IClassFixture<ReferralsAppFactory>
{
    private static List<string> Unlocks(List<string> texts, string name) => texts.Where(t => t.Contains("Achievement unlocked") && t.Contains(name)).ToList();

    private Task<List<string>> Codes(long userId) => factory.WithDb(db => db.ReferralAwards.AsNoTracking()
        .Where(a => a.UserId == userId && a.Kind == AwardKinds.Achievement).OrderBy(a => a.Code).Select(a => a.Code).ToListAsync());

    [Fact]
    public async Task First_deposit_unlocks_once_however_many_deposits_follow()
    {
        var (tg, user) = await factory.Starter("Dora");
        await factory.RobokassaDeposit(user.Id, 5m, callbacks: 3);
        await factory.RobokassaDeposit(user.Id, 5m);
        await factory.Send(Updates.Text(tg, "/profile"));

        Assert.Single(Unlocks(await factory.Texts(tg), "First deposit"));
        Assert.Equal(["first_deposit"], await Codes(user.Id));
    }

    [Fact]
    public async Task First_referral_and_ten_referrals_unlock_once_each()
    {
        var (tg, alice) = await factory.Starter("Alice");
        for (var i = 1; i <= 11; i++) await factory.Invitee(alice, $"Friend {i}");

        var texts = await factory.Texts(tg);
        Assert.Single(Unlocks(texts, "First referral"));
        Assert.Single(Unlocks(texts, "10 referrals"));
        Assert.Equal(["first_referral", "ten_referrals"], await Codes(alice.Id));
    }

    [Fact]
    public async Task A_giveaway_win_unlocks_in_the_sweep_once()
    {
        var (tg, user) = await factory.Starter("Winnie");
        await factory.WithDb(async db =>
        {
            var now = factory.Clock.GetUtcNow().UtcDateTime;
            var g = GiveawayApi.New(new GiveawayApi.GiveawayRequest("Test giveaway", "d", "prize", 1, now.AddHours(-2), now.AddHours(-1)), now);
            db.Giveaways.Add(g);
            await db.SaveChangesAsync();
            var p = new GiveawayParticipant { GiveawayId = g.Id, UserId = user.Id, JoinedAt = now.AddHours(-2) };
            db.GiveawayParticipants.Add(p);
            await db.SaveChangesAsync();
            db.GiveawayWinners.Add(new GiveawayWinner { GiveawayId = g.Id, ParticipantId = p.Id, UserId = user.Id, Position = 0, SelectedAt = now });
            await db.SaveChangesAsync();
        });

        for (var i = 0; i < 2; i++)
        {
            await using var scope = factory.Services.CreateAsyncScope();
            var job = ActivatorUtilities.CreateInstance<AchievementSweepJob>(scope.ServiceProvider);
            await job.HandleAsync(null!, default);
        }

        Assert.Single(Unlocks(await factory.Texts(tg), "Giveaway winner"));
        Assert.Contains("giveaway_win", await Codes(user.Id));
    }

    [Fact]
    public async Task Profile_lists_every_rule_with_progress_on_the_locked_ones()
    {
        var (tg, alice) = await factory.Starter("Alice");
        for (var i = 1; i <= 3; i++) await factory.Invitee(alice, $"Friend {i}");

        await factory.Send(Updates.Text(tg, "/profile"));
        var profile = (await factory.Texts(tg)).Last();

        Assert.Contains($"<b>Achievements</b> (1/{Achievements.Rules.Count})", profile);
        Assert.Contains("✅ 🤝 First referral", profile);
        Assert.Contains("🔒 👥 10 referrals — 3/10", profile);
        Assert.Contains("🔒 🛍 First purchase — 0/1", profile);
        Assert.Contains("In /top you are shown as “anonymous”", profile);
    }

    [Fact]
    public void The_rule_codes_are_unique()
    {
        Assert.Equal(Achievements.Rules.Count, Achievements.Rules.Select(r => r.Code).Distinct().Count());
    }
}
