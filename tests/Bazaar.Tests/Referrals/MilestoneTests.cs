using Bazaar.Server.Checks;
using Bazaar.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Referrals;

/// <summary>Every 3 active referrals earn 2 check credits (SmallStepsAppFactory), exactly once per milestone.</summary>
public sealed class MilestoneTests(SmallStepsAppFactory factory) : IClassFixture<SmallStepsAppFactory>
{
    private async Task<long> Credits(long userId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CheckCredits>().BalanceAsync(userId, default);
    }

    [Fact]
    public async Task Credits_come_at_3_and_6_active_referrals_and_not_in_between()
    {
        var (aliceTg, alice) = await factory.Starter("Alice");
        var seen = new List<long>();
        for (var i = 1; i <= 7; i++)
        {
            await factory.Invitee(alice, $"Friend {i}");
            seen.Add(await Credits(alice.Id));
        }

        Assert.Equal([0L, 0, 2, 2, 2, 4, 4], seen);
        var notes = (await factory.Texts(aliceTg)).Where(t => t.Contains("Milestone")).ToList();
        Assert.Equal(2, notes.Count);
        Assert.Contains("<b>3</b> active referrals", notes[0]);
        Assert.Contains("<b>6</b> active referrals", notes[1]);
    }

    [Fact]
    public async Task A_milestone_is_granted_once_however_often_it_is_checked()
    {
        var (aliceTg, alice) = await factory.Starter("Alice");
        for (var i = 1; i <= 3; i++) await factory.Invitee(alice, $"Friend {i}");
        Assert.Equal(2, await Credits(alice.Id));

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var referrals = scope.ServiceProvider.GetRequiredService<Bazaar.Server.Referrals.ReferralService>();
            await referrals.CheckMilestonesAsync(alice.Id, default);
            await referrals.CheckMilestonesAsync(alice.Id, default);
        }

        Assert.Equal(2, await Credits(alice.Id));
        Assert.Single(await factory.Texts(aliceTg), t => t.Contains("Milestone"));
    }
}

/// <summary>With Referrals:ActiveWhen=FirstDeposit a referral counts when its first deposit completes, once.</summary>
public sealed class FirstDepositMilestoneTests(FirstDepositAppFactory factory) : IClassFixture<FirstDepositAppFactory>
{
    [Fact]
    public async Task Referrals_count_as_active_at_their_first_deposit_only()
    {
        var (_, alice) = await factory.Starter("Alice");
        var friends = new List<Bazaar.Server.Data.ChatUser>();
        for (var i = 1; i <= 3; i++) friends.Add((await factory.Invitee(alice, $"Friend {i}")).User);
        foreach (var f in friends) Assert.Null((await factory.ReferralOf(f.Id))!.ActivatedAt);

        await factory.RobokassaDeposit(friends[0].Id, 1m);
        await factory.RobokassaDeposit(friends[0].Id, 1m);
        await factory.RobokassaDeposit(friends[1].Id, 1m);
        Assert.Equal(0, await CreditsOf(alice.Id));

        await factory.RobokassaDeposit(friends[2].Id, 1m);
        Assert.Equal(2, await CreditsOf(alice.Id));
        Assert.NotNull((await factory.ReferralOf(friends[2].Id))!.ActivatedAt);
    }

    private async Task<long> CreditsOf(long userId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CheckCredits>().BalanceAsync(userId, default);
    }
}
