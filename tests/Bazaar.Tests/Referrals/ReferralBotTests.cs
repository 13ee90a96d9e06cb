using System.Text.Json.Nodes;
using Bazaar.Server.Referrals;
using Bazaar.Tests.Infrastructure;

namespace Bazaar.Tests.Referrals;

/// <summary>/referral (and its aliases), /stats and the menu button, in English and Russian.</summary>
public sealed class ReferralBotTests(ReferralsAppFactory factory) : IClassFixture<ReferralsAppFactory>
{
    [Fact]
    public async Task Referral_and_its_aliases_show_link_counts_earnings_tier_and_milestone()
    {
        var (tg, alice) = await factory.Starter("Alice");
        var (_, bob) = await factory.Invitee(alice, "Bob");
        await factory.Invitee(alice, "Carol");
        await factory.RobokassaDeposit(bob.Id, 50m);

        foreach (var command in new[] { "/referral", "/affiliate", "/referral_link" })
        {
            await factory.Send(Updates.Text(tg, command, name: "Alice", username: null));
            var text = (await factory.Texts(tg)).Last();
            Assert.Contains($"https://t.me/bazaar_test_bot?start=ref_{ReferralCodes.Of(alice.Id)}", text);
            Assert.Contains("earn <b>3%</b> of every deposit", text);
            Assert.Contains("Invited: <b>2</b> · active: <b>2</b>", text);
            Assert.Contains("Earned: <b>1.50 USD</b> (this month: 1.50 USD)", text);
            Assert.Contains("Tier: <b>🥉 Bronze</b> — 98.50 USD more to 🥈 Silver", text);
            Assert.Contains("Next milestone: 2/10 active → +1 check credit(s)", text);
        }
    }

    [Fact]
    public async Task Stats_show_earnings_by_month_in_Russian_too()
    {
        var tg = Updates.NewUserId();
        await factory.Send(Updates.Text(tg, "/start", lang: "ru", name: "Ира", username: null));
        var ira = await factory.UserOf(tg);
        var (_, bob) = await factory.Invitee(ira, "Боб");
        await factory.RobokassaDeposit(bob.Id, 100m);
        factory.Clock.Advance(TimeSpan.FromDays(5)); // into December
        await factory.RobokassaDeposit(bob.Id, 10m);

        await factory.Send(Updates.Text(tg, "/stats", lang: "ru", name: "Ира", username: null));
        var lines = (await factory.Texts(tg)).Last().Split('\n');

        Assert.Equal("📊 <b>Доход от рефералов по месяцам</b>", lines[0]);
        Assert.Equal("2026-12: <b>0.30 USD</b> (пополнений: 1)", lines[1]);
        Assert.Equal("2026-11: <b>3.00 USD</b> (пополнений: 1)", lines[2]);
        Assert.Equal("Итого: <b>3.30 USD</b>", lines[3]);
    }

    [Fact]
    public async Task The_start_menu_has_a_referrals_button_that_opens_the_overview()
    {
        var (tg, _) = await factory.Starter("Alice");
        var start = JsonNode.Parse((await factory.OutboxFor(tg)).Single().Payload)!;
        var buttons = start["reply_markup"]!["inline_keyboard"]!.AsArray().SelectMany(r => r!.AsArray()).Select(b => b!["callback_data"]!.GetValue<string>());
        Assert.Contains(ReferralBot.ShowCallback, buttons);

        var press = Updates.Callback(tg, ReferralBot.ShowCallback);
        press["callback_query"]!["from"] = Updates.From(tg, name: "Alice", username: null);
        await factory.Send(press);
        Assert.Contains("Your referral program", (await factory.Texts(tg)).Last());
    }
}
