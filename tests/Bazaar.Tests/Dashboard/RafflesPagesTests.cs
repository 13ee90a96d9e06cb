using System.Net;
using Bazaar.Server.Admin;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Payments;
using Bazaar.Server.Raffles;
using Bazaar.Tests.Raffles;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Dashboard;

/// <summary>Raffle pages: create, generate, activate and stop in bulk, orders with the proof, confirm and cancel, the draw.</summary>
public sealed class RafflesPagesTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private static KeyValuePair<string, string> F(string k, string v) => new(k, v);

    private Task<Raffle> Load(long id) => app.WithDb(db => db.Raffles.AsNoTracking().SingleAsync(r => r.Id == id));

    private async Task<long> CreateViaFormAsync(HttpClient c, string title, int to = 20)
    {
        var r = await DashboardTestData.PostFields(c, "/admin/raffles",
            [F("title", title), F("prize", "A bike"), F("price", "2.50"), F("currency", "USD"), F("numberFrom", "1"), F("numberTo", to.ToString()), F("maxTickets", "5")],
            "/admin/raffles");
        Assert.StartsWith($"Raffle \"{title}\" created as a draft.", await DashboardTestData.FlashOrError(c, r));
        return await app.WithDb(db => db.Raffles.Where(x => x.Title == title).Select(x => x.Id).SingleAsync());
    }

    /// <summary>A customer's order for the numbers, confirmed, with a PNG proof attached: PENDING_PAYMENT.</summary>
    private async Task<(long UserId, long OrderId, long ChatId)> PendingOrderAsync(long raffleId, params int[] numbers)
    {
        var u = await app.UserAsync("Rita");
        var reserved = await app.In(sp => sp.GetRequiredService<RaffleOrders>().ReserveAsync(u.Id, raffleId, TicketPick.Exact(numbers), default));
        Assert.True(reserved.Ok, reserved.Detail);
        var id = reserved.Order!.Id;
        Assert.True((await app.In(sp => sp.GetRequiredService<RaffleOrders>().ConfirmSelectionAsync(u.Id, id, default))).Ok);
        var proof = await app.In(sp => sp.GetRequiredService<RaffleOrders>().AttachProofAsync(u.Id, id, CryptoPayments.QrPng("paid"), "image/png", "p.png", default));
        Assert.True(proof.Ok, proof.Detail);
        return (u.Id, id, long.Parse(u.ExternalId));
    }

    [Fact]
    public async Task A_raffle_is_created_then_tickets_are_generated_and_it_is_activated_in_bulk_with_the_raffles_rules()
    {
        var c = await app.SignedIn(OperatorRoles.Manager);
        var a = await CreateViaFormAsync(c, "Spring " + Guid.NewGuid().ToString("N")[..5]);
        var b = await CreateViaFormAsync(c, "Summer " + Guid.NewGuid().ToString("N")[..5]);
        var created = await Load(a);
        Assert.Equal((RaffleStatus.Draft, 250L, FairDraw.Commitment(Convert.FromHexString(created.DrawSeed!))), (created.Status, created.TicketPrice, created.DrawCommitment!));

        // Activating without tickets is refused by the raffles' own rule, and nothing changes.
        var r = await DashboardTestData.PostFields(c, "/admin/raffles/bulk", [F("ids", a.ToString()), F("op", "activate")]);
        Assert.Contains("Generate the tickets before activating the raffle.", await DashboardTestData.FlashOrError(c, r));
        Assert.Equal(RaffleStatus.Draft, (await Load(a)).Status);

        r = await DashboardTestData.PostFields(c, "/admin/raffles/bulk", [F("ids", a.ToString()), F("ids", b.ToString()), F("op", "generate")]);
        Assert.Equal("Tickets generated for 2 raffle(s).", await DashboardTestData.FlashOrError(c, r));
        Assert.Equal(40, await app.WithDb(db => db.RaffleTickets.CountAsync(t => t.RaffleId == a || t.RaffleId == b)));
        r = await DashboardTestData.PostFields(c, "/admin/raffles/bulk", [F("ids", a.ToString()), F("ids", b.ToString()), F("op", "activate")]);
        Assert.Equal("2 raffle(s) activated: tickets are on sale.", await DashboardTestData.FlashOrError(c, r));
        Assert.Equal(RaffleStatus.Active, (await Load(b)).Status);
        r = await DashboardTestData.PostFields(c, "/admin/raffles/bulk", [F("ids", b.ToString()), F("op", "close")]);
        Assert.Equal("Sales stopped for 1 raffle(s).", await DashboardTestData.FlashOrError(c, r));
        Assert.Equal(RaffleStatus.Closed, (await Load(b)).Status);

        var page = await (await c.GetAsync($"/admin/raffles/{a}")).Content.ReadAsStringAsync();
        Assert.Contains("<span class=\"badge badge-ok\">ACTIVE</span>", page);
        Assert.Contains(created.DrawCommitment!, page);
        Assert.DoesNotContain(created.DrawSeed!, page); // the seed stays secret until the draw
    }

    [Fact]
    public async Task Support_sees_the_proof_and_confirms_the_payment_and_the_customer_gets_their_numbers()
    {
        var raffle = await RaffleTestData.ActiveAsync(app, 1, 50, price: 3_00);
        var (_, orderId, chat) = await PendingOrderAsync(raffle.Id, 7, 8);
        var c = await app.SignedIn(OperatorRoles.Support);
        var list = await (await c.GetAsync("/admin/raffles/orders")).Content.ReadAsStringAsync();
        Assert.Contains($"data-raffle-order=\"{orderId}\"", list);
        Assert.Contains($"src=\"/admin/raffles/orders/{orderId}/proof\"", list);
        Assert.Contains("6.00 USD", list);
        var proof = await c.GetAsync($"/admin/raffles/orders/{orderId}/proof");
        Assert.Equal("image/png", proof.Content.Headers.ContentType?.MediaType);
        Assert.Equal(CryptoPayments.QrPng("paid"), await proof.Content.ReadAsByteArrayAsync());

        var before = (await app.TextsFor(chat)).Count;
        var r = await DashboardTestData.PostForm(c, $"/admin/raffles/orders/{orderId}/confirm", tokenPage: "/admin/raffles/orders");
        Assert.Equal($"Order #{orderId} paid: its tickets are sold and the customer got their numbers.", await DashboardTestData.FlashOrError(c, r));
        var order = await app.WithDb(db => db.RaffleOrders.AsNoTracking().SingleAsync(o => o.Id == orderId));
        Assert.Equal((RaffleOrderStatus.Paid, "proof"), (order.Status, order.PaidWith));
        Assert.Equal(2, await app.WithDb(db => db.RaffleTickets.CountAsync(t => t.OrderId == orderId && t.Status == TicketStatus.Sold)));
        Assert.True((await app.TextsFor(chat)).Count > before);

        r = await DashboardTestData.PostForm(c, $"/admin/raffles/orders/{orderId}/confirm");
        Assert.StartsWith($"!Order #{orderId}: ", await DashboardTestData.FlashOrError(c, r));
        var audit = await app.WithDb(db => db.AuditLog.AsNoTracking().CountAsync(a => a.Action == "raffle_order.confirm" && a.Target == $"raffle_order:{orderId}"));
        Assert.Equal(1, audit);
    }

    [Fact]
    public async Task Bulk_confirm_and_cancel_change_only_live_orders_and_report_the_others()
    {
        var raffle = await RaffleTestData.ActiveAsync(app, 1, 50);
        var (_, o1, _) = await PendingOrderAsync(raffle.Id, 1);
        var (_, o2, _) = await PendingOrderAsync(raffle.Id, 2);
        var (_, o3, _) = await PendingOrderAsync(raffle.Id, 3);
        var c = await app.SignedIn(OperatorRoles.Support);
        var r = await DashboardTestData.PostFields(c, "/admin/raffles/orders/bulk", [F("ids", o1.ToString()), F("ids", o2.ToString()), F("op", "confirm")]);
        Assert.Equal("2 order(s) confirmed as paid.", await DashboardTestData.FlashOrError(c, r));

        r = await DashboardTestData.PostFields(c, "/admin/raffles/orders/bulk", [F("ids", o1.ToString()), F("ids", o3.ToString()), F("op", "cancel"), F("reason", "No transfer arrived")]);
        var flash = await DashboardTestData.FlashOrError(c, r);
        Assert.StartsWith("1 order(s) cancelled.", flash);
        Assert.Contains($"Order #{o1}: ", flash); // paid: not cancelled
        var statuses = await app.WithDb(db => db.RaffleOrders.AsNoTracking().Where(o => o.RaffleId == raffle.Id).OrderBy(o => o.Id).Select(o => new { o.Status, o.CancelReason }).ToListAsync());
        Assert.Equal([RaffleOrderStatus.Paid, RaffleOrderStatus.Paid, RaffleOrderStatus.Cancelled], statuses.Select(s => s.Status).ToArray());
        Assert.Equal("No transfer arrived", statuses[2].CancelReason);
        Assert.Equal(TicketStatus.Available, await app.WithDb(db => db.RaffleTickets.Where(t => t.RaffleId == raffle.Id && t.Number == 3).Select(t => t.Status).SingleAsync()));
    }

    [Fact]
    public async Task The_draw_picks_a_sold_number_and_shows_the_seed_that_matches_the_commitment()
    {
        var c = await app.SignedIn(OperatorRoles.Owner);
        var id = await CreateViaFormAsync(c, "Draw " + Guid.NewGuid().ToString("N")[..5], to: 10);
        await DashboardTestData.PostFields(c, "/admin/raffles/bulk", [F("ids", id.ToString()), F("op", "generate")]);
        await DashboardTestData.PostFields(c, "/admin/raffles/bulk", [F("ids", id.ToString()), F("op", "activate")]);

        var r = await DashboardTestData.PostForm(c, $"/admin/raffles/{id}/draw");
        Assert.Equal("!No ticket is sold; there is nothing to draw.", await DashboardTestData.FlashOrError(c, r));

        var (_, a, _) = await PendingOrderAsync(id, 4);
        var (_, b, _) = await PendingOrderAsync(id, 9);
        await DashboardTestData.PostFields(c, "/admin/raffles/orders/bulk", [F("ids", a.ToString()), F("ids", b.ToString()), F("op", "confirm")]);
        r = await DashboardTestData.PostForm(c, $"/admin/raffles/{id}/draw");
        var flash = await DashboardTestData.FlashOrError(c, r);
        var raffle = await Load(id);
        Assert.Equal(RaffleStatus.Drawn, raffle.Status);
        Assert.Contains(raffle.WinningNumber, new int?[] { 4, 9 });
        Assert.Equal($"Drawn: number {raffle.WinningNumber} wins (order #{raffle.WinningOrderId}), out of 2 sold tickets.", flash);
        var page = await (await c.GetAsync($"/admin/raffles/{id}")).Content.ReadAsStringAsync();
        Assert.Contains(raffle.DrawSeed!, page);
        Assert.Contains(raffle.ParticipantListHash!, page);
        Assert.Equal(raffle.DrawCommitment, FairDraw.Commitment(Convert.FromHexString(raffle.DrawSeed!)));
        Assert.Equal("!The raffle is drawn already.", await DashboardTestData.FlashOrError(c, await DashboardTestData.PostForm(c, $"/admin/raffles/{id}/draw")));
    }
}
