using Bazaar.Server.Referrals;
using Bazaar.Tests.Infrastructure;

namespace Bazaar.Tests.Referrals;

/// <summary>/top: ranks by earnings or count, this month or all time, ties shared, the caller's place, names only if allowed.</summary>
public sealed class LeaderboardTests(LeaderboardAppFactory factory) : IClassFixture<LeaderboardAppFactory>
{
    private readonly Dictionary<long, (string Name, string Username)> _names = new();

    /// <summary>A button press from the user as they are (Updates.Callback alone would rename them to Alice).</summary>
    private System.Text.Json.Nodes.JsonObject Press(long tg, string data)
    {
        var u = Updates.Callback(tg, data);
        var (name, username) = _names[tg];
        u["callback_query"]!["from"] = Updates.From(tg, name: name, username: username);
        return u;
    }

    private async Task<(long, Bazaar.Server.Data.ChatUser)> Named(string name)
    {
        var (tg, user) = await factory.Starter(name, name.ToLowerInvariant());
        _names[tg] = (name, name.ToLowerInvariant());
        return (tg, user);
    }

    private async Task<List<string>> Board(long tg, string command)
    {
        await factory.Send(command.StartsWith("ref:") ? Press(tg, command) : Updates.Text(tg, command, name: _names[tg].Name, username: _names[tg].Username));
        return (await factory.Texts(tg)).Last().Split('\n').ToList();
    }

    [Fact]
    public async Task Ranks_ties_the_callers_place_and_privacy_by_earnings_and_count_this_month_and_all_time()
    {
        var (annaTg, anna) = await Named("Anna");
        var (bobTg, bob) = await Named("Bob");
        var (_, cleo) = await Named("Cleo");
        var (danTg, dan) = await Named("Dan");
        // Anna: 3 referrals, 0.30; Bob: 1 referral, 3.00; Cleo: 2 referrals, 3.00 (ties Bob). Dan: none yet.
        var annas = new[] { await factory.Invitee(anna), await factory.Invitee(anna), await factory.Invitee(anna) };
        var bobs = await factory.Invitee(bob);
        var cleos = new[] { await factory.Invitee(cleo), await factory.Invitee(cleo) };
        await factory.RobokassaDeposit(annas[0].User.Id, 10m);
        await factory.RobokassaDeposit(bobs.User.Id, 100m);
        await factory.RobokassaDeposit(cleos[1].User.Id, 100m);
        // Bob lets /top show his name; Cleo and Anna do not.
        await factory.Send(Press(bobTg, ReferralBot.NamePrefix + "on"));
        Assert.Contains("Your name is shown in /top", (await factory.Texts(bobTg)).Last());

        var earnings = await Board(annaTg, "/top all");
        Assert.Equal("🏆 <b>Top referrers</b> — by earnings, all time", earnings[0]);
        Assert.Equal(["🥇 @bob — 3.00 USD", "🥇 anonymous — 3.00 USD", "🥉 Anna (you) — 0.30 USD"], earnings.Skip(2).Take(3));
        Assert.Equal("Your place: <b>#3</b> (0.30 USD)", earnings.Last());
        Assert.DoesNotContain(earnings, l => l.Contains("Cleo") || l.Contains("cleo"));

        var count = await Board(danTg, "ref:top:c:a");
        Assert.Equal("🏆 <b>Top referrers</b> — by referrals, all time", count[0]);
        Assert.Equal(["🥇 anonymous — 3 referral(s)", "🥈 anonymous — 2 referral(s)", "🥉 @bob — 1 referral(s)"], count.Skip(2).Take(3));
        Assert.Equal("You are not on the board yet: invite friends from /referral.", count.Last());

        // Next month: only what happened since counts for "this month"; all time keeps everything.
        factory.Clock.Advance(TimeSpan.FromDays(5));
        var dans = await factory.Invitee(dan);
        await factory.RobokassaDeposit(dans.User.Id, 1m);
        var month = await Board(danTg, "/top");
        Assert.Equal("🏆 <b>Top referrers</b> — by earnings, this month", month[0]);
        Assert.Equal(["🥇 Dan (you) — 0.03 USD", ""], month.Skip(2).Take(2));
        Assert.Equal("Your place: <b>#1</b> (0.03 USD)", month.Last());
        var monthCount = await Board(danTg, "ref:top:c:m");
        Assert.Equal(["🥇 Dan (you) — 1 referral(s)", ""], monthCount.Skip(2).Take(2));
        var all = await Board(danTg, "/top all");
        Assert.Equal("🥉 anonymous — 0.30 USD", all[4]);
        Assert.Equal("4. Dan (you) — 0.03 USD", all[5]);

        // Bob hides his name again: anonymous from then on.
        await factory.Send(Press(bobTg, ReferralBot.NamePrefix + "off"));
        Assert.DoesNotContain(await Board(danTg, "/top all"), l => l.Contains("@bob"));
    }
}
