using System.Net.Http.Json;
using System.Net;
using Bazaar.Server.Raffles;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;

namespace Bazaar.Tests.Raffles;

public sealed class RafflesApiTests(RafflesAppFactory factory) : IClassFixture<RafflesAppFactory>
{
    [Fact]
    public async Task A_raffle_is_created_generated_once_activated_listed_and_paged()
    {
        var api = factory.AdminClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().GetAsync("/api/v1/raffles")).StatusCode);
        await (await api.PostJson("/api/v1/raffles", new { title = "", ticketPrice = 100, numberFrom = 1, numberTo = 10, maxTicketsPerOrder = 5 }))
            .AssertProblem(400, "title_invalid");
        var created = await (await api.PostJson("/api/v1/raffles",
            new { title = "Big one", prize = "A car", ticketPrice = 5_00, currency = "usd", numberFrom = 1, numberTo = 1000, maxTicketsPerOrder = 20 })).ReadJson();
        var id = created.GetProperty("id").GetInt64();
        Assert.Equal("draft", created.GetProperty("status").GetString());
        Assert.Equal("0000", created.GetProperty("numberFormat").GetString());
        Assert.Equal(64, created.GetProperty("drawCommitment").GetString()!.Length);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, created.GetProperty("drawSeed").ValueKind);

        var put = new { title = "Big one", prize = "A car", ticketPrice = 5_00, numberFrom = 1, numberTo = 1000, maxTicketsPerOrder = 20, status = "active" };
        await (await api.PutAsJsonAsync($"/api/v1/raffles/{id}", put)).AssertProblem(409, "tickets_missing");
        var gen = await (await api.PostAsync($"/api/v1/raffles/{id}/generate-tickets", null)).ReadJson();
        Assert.Equal(1000, gen.GetProperty("created").GetInt32());
        var again = await (await api.PostAsync($"/api/v1/raffles/{id}/generate-tickets", null)).ReadJson();
        Assert.Equal(0, again.GetProperty("created").GetInt32());
        Assert.Equal(1000, again.GetProperty("total").GetInt32());
        Assert.Equal(1000, (await (await api.PostAsync($"/api/v1/raffles/{id}/generate-tickets?force=true", null)).ReadJson()).GetProperty("created").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync($"/api/v1/raffles/{id}", put)).StatusCode);

        var u = await MoneyTestData.CreateUserAsync(factory);
        var order = (await factory.Reserve(u.Id, id, TicketPick.Parse("1-3")!)).Order!;
        await (await api.PostAsync($"/api/v1/raffles/{id}/generate-tickets?force=true", null)).AssertProblem(409, RaffleErrors.TicketsLocked);
        await (await api.PutAsJsonAsync($"/api/v1/raffles/{id}", put with { numberTo = 500 })).AssertProblem(409, "range_locked");
        await (await api.DeleteAsync($"/api/v1/raffles/{id}")).AssertProblem(409, "raffle_in_use");

        var reserved = await (await api.GetAsync($"/api/v1/raffles/{id}/tickets?status=RESERVED")).ReadJson();
        Assert.Equal(3, reserved.GetProperty("total").GetInt32());
        Assert.Equal("0001", reserved.GetProperty("items")[0].GetProperty("label").GetString());
        var page2 = await (await api.GetAsync($"/api/v1/raffles/{id}/tickets?status=AVAILABLE&page=2&pageSize=100")).ReadJson();
        Assert.Equal(997, page2.GetProperty("total").GetInt32());
        Assert.Equal(104, page2.GetProperty("items")[0].GetProperty("number").GetInt32());
        await (await api.GetAsync($"/api/v1/raffles/{id}/tickets?status=LOST")).AssertProblem(400, "invalid_status");
        await (await api.GetAsync("/api/v1/raffles?status=LOST")).AssertProblem(400, "invalid_status");
        await (await api.GetAsync("/api/v1/raffle-orders?status=LOST")).AssertProblem(400, "invalid_status");

        var byContact = await (await api.GetAsync($"/api/v1/raffle-orders?raffleId={id}&contact={u.ExternalId}&status=DRAFT")).ReadJson();
        Assert.Equal(1, byContact.GetProperty("total").GetInt32());
        Assert.Equal(50, byContact.GetProperty("pageSize").GetInt32());
        Assert.Equal([1, 2, 3], byContact.GetProperty("items")[0].GetProperty("numbers").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal(order.Id, (await (await api.GetAsync($"/api/v1/raffle-orders/{order.Id}")).ReadJson()).GetProperty("id").GetInt64());
        await (await api.GetAsync("/api/v1/raffle-orders/424242")).AssertProblem(404, RaffleErrors.OrderNotFound);
    }

    [Fact]
    public async Task The_draw_uses_the_fair_draw_over_sold_numbers_and_reveals_the_committed_seed()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 30);
        var api = factory.AdminClient();
        await (await api.PostAsync($"/api/v1/raffles/{raffle.Id}/draw", null)).AssertProblem(409, "no_tickets_sold");
        var u = await MoneyTestData.CreateUserAsync(factory);
        var o = (await factory.Reserve(u.Id, raffle.Id, TicketPick.Parse("4, 8, 15")!)).Order!;
        await factory.Orders(x => x.ConfirmSelectionAsync(u.Id, o.Id, default));
        await factory.Orders(x => x.ConfirmPaymentAsync(o.Id, "manual", null, default));
        var other = await MoneyTestData.CreateUserAsync(factory);
        await factory.Reserve(other.Id, raffle.Id, TicketPick.Parse("16")!); // reserved, not sold: not in the draw

        var draw = await (await api.PostAsync($"/api/v1/raffles/{raffle.Id}/draw", null)).ReadJson();

        var winner = draw.GetProperty("winningNumber").GetInt32();
        Assert.Contains(winner, new[] { 4, 8, 15 });
        Assert.Equal(3, draw.GetProperty("soldTickets").GetInt32());
        var expected = Bazaar.Server.Giveaways.FairDraw.Draw(new Bazaar.Server.Giveaways.DrawInput(Bazaar.Server.Giveaways.FairDraw.RaffleDomain, raffle.Id,
            Convert.FromHexString(raffle.DrawSeed!), "", [4, 8, 15]), 1);
        Assert.Equal(expected.Winners[0], winner);
        await (await api.PostAsync($"/api/v1/raffles/{raffle.Id}/draw", null)).AssertProblem(409, "raffle_drawn");
        var shown = await (await api.GetAsync($"/api/v1/raffles/{raffle.Id}")).ReadJson();
        Assert.Equal(raffle.DrawSeed, shown.GetProperty("drawSeed").GetString());
    }
}
