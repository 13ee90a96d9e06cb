using System.Text.Json.Nodes;
using Bazaar.Server.Shop;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Shop;

public sealed class SubscriptionTests(ShopAppFactory factory) : IClassFixture<ShopAppFactory>
{
    [Fact]
    public async Task A_subscription_grants_an_invite_a_renewal_button_and_removal_on_expiry_and_gates_vip()
    {
        factory.Bot.AnswerWith("createChatInviteLink", call => new JsonObject
        {
            ["invite_link"] = "https://t.me/+invite" + call.Str("member_limit"), ["creator"] = new JsonObject { ["id"] = 1, ["is_bot"] = true, ["first_name"] = "B" },
            ["creates_join_request"] = false, ["is_primary"] = false, ["is_revoked"] = false,
        });
        var product = await ShopTestData.ProductAsync(factory, units: 0, price: 7_00, kind: ProductKind.Subscription, configure: p =>
        {
            p.SubscriptionDays = 30; p.EntitlementKey = "vip"; p.ChannelChatId = "-1001234567890"; p.Name = "VIP club";
        });
        var tg = Updates.NewUserId();

        await factory.Send(Updates.Text(tg, "/vip"));
        var offer = (await factory.OutboxFor(tg)).Last(m => m.Method == "sendMessage");
        Assert.Contains("needs an active <b>VIP club</b>", JsonNode.Parse(offer.Payload)!["text"]!.GetValue<string>());
        Assert.Contains(ShopBot.BuyPrefix + product.Id, ShopTestData.Buttons(offer.Payload));

        var user = await factory.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.ExternalId == tg.ToString()));
        await ShopTestData.FundAsync(factory, user.Id, 7_00);
        await factory.Send(Updates.Callback(tg, ShopBot.BuyPrefix + product.Id));
        var r = await factory.WithDb(db => db.Reservations.AsNoTracking().SingleAsync(x => x.UserId == user.Id));
        await factory.Send(Updates.Callback(tg, $"shop:ok:{r.Id}"));
        Assert.Contains(await factory.TextsFor(tg), t => t.Contains("<b>VIP club</b> is active until"));

        // The invite link comes from a job, outside the update's transaction.
        Assert.DoesNotContain(factory.Bot.CallsOf("createChatInviteLink"), c => c.Str("chat_id") == "-1001234567890");
        await factory.RunJobs();
        var invite = Assert.Single(factory.Bot.CallsOf("createChatInviteLink"), c => c.Str("chat_id") == "-1001234567890");
        Assert.Equal("1", invite.Str("member_limit"));
        Assert.Equal("-1001234567890", invite.Str("chat_id"));
        Assert.Contains(await factory.TextsFor(tg), t => t.Contains("https://t.me/+invite1"));

        await factory.Send(Updates.Text(tg, "/vip"));
        Assert.Contains(await factory.TextsFor(tg), t => t.Contains("Welcome to the members' corner"));

        factory.Clock.Advance(TimeSpan.FromDays(29.5));
        await factory.RunHandler(EntitlementExpiryJob.JobType);
        await factory.RunHandler(EntitlementExpiryJob.JobType);
        var renewal = (await factory.OutboxFor(tg)).Where(m => m.Payload.Contains("Renew to keep access")).ToList();
        Assert.Single(renewal);
        Assert.Contains(ShopBot.BuyPrefix + product.Id, ShopTestData.Buttons(renewal[0].Payload));
        Assert.DoesNotContain(factory.Bot.CallsOf("banChatMember"), c => c.Str("user_id") == tg.ToString());

        factory.Clock.Advance(TimeSpan.FromDays(1));
        await factory.RunHandler(EntitlementExpiryJob.JobType);
        var ban = Assert.Single(factory.Bot.CallsOf("banChatMember"), c => c.Str("user_id") == tg.ToString());
        var unban = Assert.Single(factory.Bot.CallsOf("unbanChatMember"), c => c.Str("user_id") == tg.ToString());
        Assert.Equal(tg.ToString(), ban.Str("user_id"));
        Assert.True(ban.At <= unban.At);
        Assert.Contains(await factory.TextsFor(tg), t => t.Contains("has ended, so access was removed"));

        await factory.Send(Updates.Text(tg, "/vip"));
        Assert.Contains("needs an active", (await factory.TextsFor(tg)).Last());
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Renewing_before_the_end_adds_the_days_without_a_second_invite()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 0, price: 1_00, kind: ProductKind.Subscription, configure: p =>
        {
            p.SubscriptionDays = 10; p.EntitlementKey = "club-" + Guid.NewGuid().ToString("N")[..6]; p.ChannelChatId = "-100555";
        });
        var user = await MoneyTestData.CreateUserAsync(factory);
        await ShopTestData.FundAsync(factory, user.Id, 2_00);
        var start = factory.Clock.GetUtcNow().UtcDateTime;
        for (var i = 0; i < 2; i++)
        {
            var r = (await factory.Reserve(user.Id, product.Id)).Reservation!;
            Assert.True((await factory.Confirm(user.Id, r.Id)).Ok);
        }
        var e = await factory.WithDb(db => db.Entitlements.AsNoTracking().SingleAsync(x => x.UserId == user.Id));
        Assert.Equal(start.AddDays(20), e.ExpiresAt);
        Assert.Equal(1, await factory.WithDb(db => db.Jobs.CountAsync(j => j.Type == InviteJob.JobType && j.Payload.Contains($":{e.Id}}}"))));
    }
}
