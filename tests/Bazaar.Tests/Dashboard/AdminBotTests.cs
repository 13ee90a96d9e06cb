using System.Text.Json.Nodes;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Raffles;
using Bazaar.Tests.Raffles;
using Bazaar.Tests.Shop;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Dashboard;

/// <summary>/admin in the bot: the operators' menu, each entry running the feature's own code; nobody else learns it exists.</summary>
public sealed class AdminBotTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private const long Admin = BotAppFactory.AdminUserId;

    private async Task Press(long user, string data)
    {
        app.Clock.Advance(TimeSpan.FromSeconds(1.1)); // the per-second button limit
        await app.Send(Updates.Callback(user, data));
    }

    private async Task<string> Last(long chat) => (await app.TextsFor(chat)).Last();

    private async Task<List<string>> LastButtons(long chat)
    {
        var m = (await app.OutboxFor(chat)).Last(x => x.Method is "sendMessage" or "editMessageText");
        return ShopTestData.Buttons(m.Payload);
    }

    [Fact]
    public async Task A_non_admin_gets_exactly_the_unknown_command_reply_and_admin_buttons_do_nothing()
    {
        var user = Updates.NewUserId();
        await app.Send(Updates.Text(user, "/nosuchthing"));
        var unknown = (await Last(user)).Replace("/nosuchthing", "/X");
        await app.Send(Updates.Text(user, "/admin"));
        Assert.Equal(unknown, (await Last(user)).Replace("/admin", "/X"));
        var before = (await app.OutboxFor(user)).Count;
        await Press(user, "admin:stats");
        Assert.DoesNotContain(await app.OutboxFor(user), m => m.Method is "sendMessage" or "editMessageText" && m.Payload.Contains("Today"));
        Assert.Equal(before, (await app.OutboxFor(user)).Count(m => m.Method != "answerCallbackQuery"));
    }

    [Fact]
    public async Task The_admin_menu_offers_the_daily_work()
    {
        await app.Send(Updates.Text(Admin, "/admin"));
        Assert.Contains("Admin panel", await Last(Admin));
        Assert.Equal(["admin:deposits", "admin:raffles", "admin:stats", "admin:discount", "admin:giveaways", "admin:newgiveaway", "admin:broadcast"], (await LastButtons(Admin)).ToArray());
        await Press(Admin, "admin:stats");
        Assert.Contains("Deposits to approve:", await Last(Admin));
    }

    [Fact]
    public async Task Pending_deposits_are_listed_with_their_proof_and_approved_through_the_payments_own_handler()
    {
        var (userId, paymentId) = await app.PendingDepositAsync(3100);
        await app.Send(Updates.Text(Admin, "/admin"));
        await Press(Admin, "admin:deposits");
        var outbox = await app.OutboxFor(Admin);
        var list = outbox.Last(m => m.Method == "sendMessage" && m.Payload.Contains($"deposit:approve:{paymentId}\""));
        Assert.Contains("Pending manual deposits", list.Payload);
        // The proof follows as the photo the customer sent (by its Telegram file id), with the same two buttons.
        var proof = outbox.Last(m => m.Method == "sendPhoto" && m.Payload.Contains($"deposit:approve:{paymentId}\""));
        Assert.Contains("AgAD-proof-", proof.Payload);
        Assert.Contains($"deposit:reject:{paymentId}", proof.Payload);

        await Press(Admin, $"deposit:approve:{paymentId}");
        Assert.Equal(Bazaar.Server.Payments.PaymentStatus.Completed,
            (await app.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.Id == paymentId))).Status);
        Assert.Equal(31_00, await Bazaar.Tests.Wallet.MoneyTestData.BalanceAsync(app, userId));
    }

    [Fact]
    public async Task New_giveaway_in_the_menu_starts_the_giveaways_own_newgiveaway_conversation_for_admins_only()
    {
        var state = () => app.WithDb(db => db.ConversationStates.AsNoTracking().Where(s => s.ChatId == Admin.ToString()).Select(s => s.Step).FirstOrDefaultAsync());
        await app.Send(Updates.Text(Admin, "/admin"));
        var menu = (await app.OutboxFor(Admin)).Last(m => m.Method == "sendMessage");
        var entry = JsonNode.Parse(menu.Payload)!["reply_markup"]!["inline_keyboard"]!.AsArray().SelectMany(r => r!.AsArray())
            .Single(b => b!["callback_data"]!.GetValue<string>() == "admin:newgiveaway")!;
        Assert.Equal("✨ New giveaway", entry["text"]!.GetValue<string>());

        await Press(Admin, "admin:newgiveaway");
        Assert.Contains("<b>New giveaway</b>", await Last(Admin));
        Assert.Equal(GiveawayCreation.TitleStep, await state());
        // The same conversation as /newgiveaway: the next answer is its second question.
        await app.Send(Updates.Text(Admin, "From the menu"));
        Assert.Contains("2/10", await Last(Admin));
        Assert.Equal(GiveawayCreation.DescriptionStep, await state());
        await Press(Admin, GiveawayCreation.Prefix + "cancel");
        Assert.Null(await state());

        // Anyone else: /admin and /newgiveaway are unknown commands, and the menu's button does nothing.
        var user = Updates.NewUserId();
        await app.Send(Updates.Text(user, "/nosuchthing"));
        var unknown = (await Last(user)).Replace("/nosuchthing", "/X");
        await app.Send(Updates.Text(user, "/newgiveaway"));
        Assert.Equal(unknown, (await Last(user)).Replace("/newgiveaway", "/X"));
        var before = (await app.OutboxFor(user)).Count(m => m.Method != "answerCallbackQuery");
        await Press(user, "admin:newgiveaway");
        Assert.Equal(before, (await app.OutboxFor(user)).Count(m => m.Method != "answerCallbackQuery"));
        Assert.Null(await app.WithDb(db => db.ConversationStates.AsNoTracking().Where(s => s.ChatId == user.ToString()).Select(s => s.Step).FirstOrDefaultAsync()));
    }

    [Fact]
    public async Task Pending_raffle_orders_are_listed_and_confirmed_through_the_raffles_order_service()
    {
        var raffle = await RaffleTestData.ActiveAsync(app, 1, 30, price: 1_00);
        var u = await app.UserAsync("Olga");
        var orders = app.Services.CreateScope().ServiceProvider.GetRequiredService<RaffleOrders>();
        var o = (await orders.ReserveAsync(u.Id, raffle.Id, TicketPick.Exact([5, 6]), default)).Order!;
        Assert.True((await orders.ConfirmSelectionAsync(u.Id, o.Id, default)).Ok);
        var u2 = await app.UserAsync("Oleg");
        var o2 = (await orders.ReserveAsync(u2.Id, raffle.Id, TicketPick.Exact([9]), default)).Order!;
        Assert.True((await orders.ConfirmSelectionAsync(u2.Id, o2.Id, default)).Ok);

        await Press(Admin, "admin:raffles");
        var list = await Last(Admin);
        Assert.Contains($"#{o.Id} · {raffle.Title} · numbers 05, 06 · 2.00 USD", list);
        Assert.Contains($"admin:ro:{o.Id}", await LastButtons(Admin));

        await Press(Admin, $"admin:ro:{o.Id}");
        Assert.Contains($"Raffle order #{o.Id} is paid", await Last(Admin));
        await Press(Admin, $"admin:rx:{o2.Id}");
        Assert.Contains($"Raffle order #{o2.Id} is cancelled", await Last(Admin));
        var statuses = await app.WithDb(db => db.RaffleOrders.AsNoTracking().Where(x => x.RaffleId == raffle.Id).OrderBy(x => x.Id).Select(x => x.Status).ToListAsync());
        Assert.Equal([RaffleOrderStatus.Paid, RaffleOrderStatus.Cancelled], statuses.ToArray());
        Assert.Equal(2, await app.WithDb(db => db.RaffleTickets.CountAsync(t => t.RaffleId == raffle.Id && t.Status == TicketStatus.Sold)));

        await Press(Admin, $"admin:ro:{o.Id}"); // twice: the order service refuses, nothing changes
        Assert.Contains($"Raffle order #{o.Id} was not changed", await Last(Admin));
    }

    [Fact]
    public async Task A_products_discount_is_set_through_the_shops_own_discount_flow()
    {
        var p = await ShopTestData.ProductAsync(app, 1, price: 20_00, configure: x => x.Name = "Aaa admin lamp " + Guid.NewGuid().ToString("N")[..4]);
        await Press(Admin, "admin:discount");
        Assert.Contains($"shop:disc:{p.Id}", await LastButtons(Admin));
        await Press(Admin, $"shop:disc:{p.Id}");
        await app.Send(Updates.Text(Admin, "30"));
        Assert.Equal(30, await app.WithDb(db => db.Products.Where(x => x.Id == p.Id).Select(x => x.DiscountPercent).SingleAsync()));
        Assert.Contains("14.00 USD", await Last(Admin));
    }

    [Fact]
    public async Task A_giveaway_is_drawn_by_its_own_draw_job_after_a_confirmation_showing_the_commitment()
    {
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var g = GiveawayApi.New(new GiveawayApi.GiveawayRequest("Bot draw " + Guid.NewGuid().ToString("N")[..4], "", "A prize", 1, now.AddMinutes(-5), now.AddDays(1)), now);
        g.Status = GiveawayStatus.Published;
        await app.WithDb(async db => { db.Giveaways.Add(g); await db.SaveChangesAsync(); });
        for (var i = 0; i < 3; i++)
        {
            var u = await app.UserAsync("Pia");
            await app.WithDb(async db =>
            {
                db.GiveawayParticipants.Add(new GiveawayParticipant { GiveawayId = g.Id, UserId = u.Id, JoinedAt = now });
                await db.Giveaways.Where(x => x.Id == g.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ParticipantCount, x => x.ParticipantCount + 1));
                await db.SaveChangesAsync();
            });
        }
        await Press(Admin, "admin:giveaways");
        Assert.Contains($"admin:gq:{g.Id}", await LastButtons(Admin));
        await Press(Admin, $"admin:gq:{g.Id}");
        Assert.Contains("1 winner(s) among 3 participants", await Last(Admin));
        Assert.Equal(GiveawayStatus.Published, await app.WithDb(db => db.Giveaways.Where(x => x.Id == g.Id).Select(x => x.Status).SingleAsync())); // asked, not drawn
        await Press(Admin, $"admin:gd:{g.Id}");
        Assert.Contains(g.Commitment, await Last(Admin));
        await Press(Admin, $"admin:gd:{g.Id}"); // pressed twice: one draw job
        Assert.Equal(1, await app.WithDb(db => db.Jobs.CountAsync(j => j.IdempotencyKey == DrawJob.KeyFor(g.Id))));
        var runner = app.Services.GetRequiredService<Bazaar.Server.Jobs.JobRunner>();
        while (await runner.RunOnceAsync("test-worker", default) is not null) { }
        var drawn = await app.WithDb(db => db.Giveaways.AsNoTracking().SingleAsync(x => x.Id == g.Id));
        Assert.Equal(GiveawayStatus.Drawn, drawn.Status);
        Assert.Equal(drawn.Commitment, FairDraw.Commitment(Convert.FromHexString(drawn.SeedHex)));
        Assert.Equal(1, await app.WithDb(db => db.GiveawayWinners.CountAsync(w => w.GiveawayId == g.Id)));
    }
}
