using System.Net;
using Bazaar.Server.Channels;
using Bazaar.Server.Raffles;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Raffles;

public sealed class RaffleOrderTests(RafflesAppFactory factory) : IClassFixture<RafflesAppFactory>
{
    [Fact]
    public async Task Many_buyers_reserving_overlapping_numbers_and_random_batches_at_once_never_share_a_ticket()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 60, max: 10);
        var users = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => MoneyTestData.CreateUserAsync(factory)));
        var rnd = new Random(7);
        var picks = users.Select((u, i) => i % 3 == 0
            ? TicketPick.Random(1 + rnd.Next(4))
            : TicketPick.Exact(Enumerable.Range(0, 2 + rnd.Next(3)).Select(_ => 1 + rnd.Next(20)))).ToArray();

        var results = await Task.WhenAll(users.Select((u, i) => Task.Run(() => factory.Reserve(u.Id, raffle.Id, picks[i]))));

        var won = results.Where(r => r.Ok).ToList();
        Assert.NotEmpty(won);
        Assert.Contains(results, r => r.Error == RaffleErrors.Taken);
        Assert.All(results.Where(r => !r.Ok), r => Assert.Contains(r.Error, new[] { RaffleErrors.Taken, RaffleErrors.NotEnoughLeft }));
        var all = won.SelectMany(r => r.Order!.Numbers.Split(',').Select(int.Parse)).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        // All or nothing: a winner got exactly what it asked for.
        for (var i = 0; i < users.Length; i++)
            if (results[i].Ok)
                Assert.Equal(picks[i].IsRandom ? picks[i].RandomCount : picks[i].Numbers.Count, results[i].Order!.TicketCount);
        await RaffleTestData.AssertNoTicketInTwoOrdersAsync(factory, raffle.Id);
    }

    [Fact]
    public async Task Random_batches_racing_for_the_last_tickets_take_each_ticket_once()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 20, max: 5);
        var users = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => MoneyTestData.CreateUserAsync(factory)));

        var results = await Task.WhenAll(users.Select(u => Task.Run(() => factory.Reserve(u.Id, raffle.Id, TicketPick.Random(3)))));

        var won = results.Where(r => r.Ok).ToList();
        Assert.InRange(won.Count, 1, 6);
        Assert.All(results.Where(r => !r.Ok), r => Assert.Equal(RaffleErrors.NotEnoughLeft, r.Error));
        var taken = won.SelectMany(r => r.Order!.Numbers.Split(',')).ToList();
        Assert.Equal(taken.Count, taken.Distinct().Count());
        await RaffleTestData.AssertNoTicketInTwoOrdersAsync(factory, raffle.Id);
    }

    [Fact]
    public async Task A_pick_with_one_taken_number_reserves_nothing_and_names_the_taken_one()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100);
        var a = await MoneyTestData.CreateUserAsync(factory);
        var b = await MoneyTestData.CreateUserAsync(factory);
        Assert.True((await factory.Reserve(a.Id, raffle.Id, TicketPick.Parse("12")!)).Ok);

        var r = await factory.Reserve(b.Id, raffle.Id, TicketPick.Parse("10-15")!);

        Assert.Equal(RaffleErrors.Taken, r.Error);
        Assert.Equal([12], r.Taken);
        var tickets = await RaffleTestData.TicketsAsync(factory, raffle.Id);
        Assert.All(new[] { 10, 11, 13, 14, 15 }, n => Assert.Equal(TicketStatus.Available, tickets[n]));
        Assert.Equal(RaffleErrors.TooMany, (await factory.Reserve(b.Id, raffle.Id, TicketPick.Parse("1-11")!)).Error);
        Assert.Equal(RaffleErrors.OutOfRange, (await factory.Reserve(b.Id, raffle.Id, TicketPick.Parse("0, 101")!)).Error);
    }

    [Fact]
    public async Task A_customer_has_one_live_order_per_raffle_even_when_two_reservations_race()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100);
        var u = await MoneyTestData.CreateUserAsync(factory);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => factory.Reserve(u.Id, raffle.Id, TicketPick.Exact([i * 3 + 1])))));

        Assert.Single(results, r => r.Ok);
        Assert.All(results.Where(r => !r.Ok), r => Assert.Equal(RaffleErrors.OrderOpen, r.Error));
        await RaffleTestData.AssertNoTicketInTwoOrdersAsync(factory, raffle.Id);
    }

    [Fact]
    public async Task A_lapsed_hold_reads_as_available_is_taken_over_and_the_job_expires_the_order()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 50);
        var a = await MoneyTestData.CreateUserAsync(factory);
        var b = await MoneyTestData.CreateUserAsync(factory);
        var first = (await factory.Reserve(a.Id, raffle.Id, TicketPick.Parse("5, 6")!)).Order!;
        await factory.Orders(o => o.ConfirmSelectionAsync(a.Id, first.Id, default));
        var api = factory.AdminClient();

        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        var avail = await (await api.GetAsync($"/api/v1/raffles/{raffle.Id}/availability")).ReadJson();
        Assert.Equal(50, avail.GetProperty("available").GetInt32());
        // Lapsed but not yet expired by the job, its tickets still pointing at it: confirming it is still illegal.
        await (await api.PostAsync($"/api/v1/raffle-orders/{first.Id}/confirm-payment", null)).AssertProblem(409, RaffleErrors.IllegalTransition);
        var second = await factory.Reserve(b.Id, raffle.Id, TicketPick.Parse("6")!);
        Assert.True(second.Ok, second.Detail);
        // Confirming the lapsed order is an illegal transition, and it changes nothing.
        await (await api.PostAsync($"/api/v1/raffle-orders/{first.Id}/confirm-payment", null)).AssertProblem(409, RaffleErrors.IllegalTransition);

        await factory.RunHandler(RaffleExpiryJob.JobType);

        Assert.Equal(RaffleOrderStatus.Expired, (await RaffleTestData.OrderAsync(factory, first.Id)).Status);
        var tickets = await RaffleTestData.TicketsAsync(factory, raffle.Id);
        Assert.Equal(TicketStatus.Available, tickets[5]);
        Assert.Equal(TicketStatus.Reserved, tickets[6]);
        Assert.Equal(RaffleOrderStatus.Draft, (await RaffleTestData.OrderAsync(factory, second.Order!.Id)).Status);
        var notices = await factory.WithDb(db => db.Outbox.Where(m => m.UserId == a.Id).Select(m => m.Payload).ToListAsync());
        Assert.Contains(notices, p => p.Contains("expired") && p.Contains("05, 06"));
        await RaffleTestData.AssertNoTicketInTwoOrdersAsync(factory, raffle.Id);
    }

    [Fact]
    public async Task Order_transitions_and_the_illegal_ones_answer_409()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 1000);
        var u = await MoneyTestData.CreateUserAsync(factory);
        var api = factory.AdminClient();
        var o = (await factory.Reserve(u.Id, raffle.Id, TicketPick.Parse("7, 999")!)).Order!;
        Assert.Equal(RaffleOrderStatus.Draft, o.Status);
        Assert.Equal(3_00, o.Amount);

        // The customer has not confirmed yet: no payment to confirm.
        await (await api.PostAsync($"/api/v1/raffle-orders/{o.Id}/confirm-payment", null)).AssertProblem(409, RaffleErrors.IllegalTransition);
        Assert.True((await factory.Orders(x => x.ConfirmSelectionAsync(u.Id, o.Id, default))).Ok);
        var pending = await (await api.GetAsync("/api/v1/raffle-orders/pending-payment")).ReadJson();
        Assert.Contains(pending.GetProperty("items").EnumerateArray(), x => x.GetProperty("id").GetInt64() == o.Id);

        var paid = await (await api.PostAsync($"/api/v1/raffle-orders/{o.Id}/confirm-payment", null)).ReadJson();
        Assert.Equal("PAID", paid.GetProperty("status").GetString());
        var tickets = await RaffleTestData.TicketsAsync(factory, raffle.Id);
        Assert.Equal(TicketStatus.Sold, tickets[7]);
        Assert.Equal(TicketStatus.Sold, tickets[999]);
        var notice = await factory.WithDb(db => db.Outbox.Where(m => m.UserId == u.Id).OrderBy(m => m.Id).Select(m => m.Payload).ToListAsync());
        Assert.Contains(notice, p => p.Contains("Payment confirmed") && p.Contains("0007, 0999"));

        // A paid order keeps its tickets; paying twice is refused.
        await (await api.PostAsync($"/api/v1/raffle-orders/{o.Id}/cancel", null)).AssertProblem(409, RaffleErrors.IllegalTransition);
        await (await api.PostAsync($"/api/v1/raffle-orders/{o.Id}/confirm-payment", null)).AssertProblem(409, RaffleErrors.IllegalTransition);
        factory.Clock.Advance(TimeSpan.FromHours(2));
        await factory.RunHandler(RaffleExpiryJob.JobType);
        Assert.Equal(TicketStatus.Sold, (await RaffleTestData.TicketsAsync(factory, raffle.Id))[7]);
        await (await api.PostAsync("/api/v1/raffle-orders/999999/cancel", null)).AssertProblem(404, RaffleErrors.OrderNotFound);

        // An operator cancel frees the numbers and tells the customer.
        var v = await MoneyTestData.CreateUserAsync(factory);
        var o2 = (await factory.Reserve(v.Id, raffle.Id, TicketPick.Parse("100")!)).Order!;
        var cancelled = await (await api.PostJson($"/api/v1/raffle-orders/{o2.Id}/cancel", new { reason = "duplicate" })).ReadJson();
        Assert.Equal("CANCELLED", cancelled.GetProperty("status").GetString());
        Assert.Equal(TicketStatus.Available, (await RaffleTestData.TicketsAsync(factory, raffle.Id))[100]);
        Assert.True(await factory.WithDb(db => db.Outbox.AnyAsync(m => m.UserId == v.Id && m.Payload.Contains("cancelled by the operator"))));
        await RaffleTestData.AssertNoTicketInTwoOrdersAsync(factory, raffle.Id);
    }

    [Fact]
    public async Task Concurrent_confirm_and_cancel_of_one_order_end_in_one_state()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100);
        var u = await MoneyTestData.CreateUserAsync(factory);
        var o = (await factory.Reserve(u.Id, raffle.Id, TicketPick.Parse("1-3")!)).Order!;
        await factory.Orders(x => x.ConfirmSelectionAsync(u.Id, o.Id, default));

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => i % 2 == 0
            ? factory.Orders(x => x.ConfirmPaymentAsync(o.Id, "manual", null, default))
            : factory.Orders(x => x.CancelAsync(o.Id, null, null, default)))));

        Assert.Single(results, r => r.Ok);
        await RaffleTestData.AssertNoTicketInTwoOrdersAsync(factory, raffle.Id);
    }

    [Fact]
    public async Task Proof_uploads_are_limited_by_size_and_type_and_keep_the_hold_while_reviewed()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100);
        var u = await MoneyTestData.CreateUserAsync(factory);
        var o = (await factory.Reserve(u.Id, raffle.Id, TicketPick.Parse("42")!)).Order!;

        var big = await factory.Orders(x => x.AttachProofAsync(u.Id, o.Id, new byte[5000], "image/png", "r.png", default));
        Assert.Equal(RaffleErrors.ProofTooLarge, big.Error);
        var exe = await factory.Orders(x => x.AttachProofAsync(u.Id, o.Id, [0x4d, 0x5a], "application/x-msdownload", "r.exe", default));
        Assert.Equal(RaffleErrors.ProofType, exe.Error);
        var other = await MoneyTestData.CreateUserAsync(factory);
        Assert.Equal(RaffleErrors.OrderNotFound, (await factory.Orders(x => x.AttachProofAsync(other.Id, o.Id, [1, 2, 3], "image/png", null, default))).Error);
        Assert.Empty(Directory.Exists(factory.ProofFolder) ? Directory.GetFiles(factory.ProofFolder, $"order-{o.Id}-*") : []);

        var ok = await factory.Orders(x => x.AttachProofAsync(u.Id, o.Id, [0x89, 0x50, 0x4e, 0x47], "image/png", "receipt.png", default));

        Assert.True(ok.Ok, ok.Detail);
        Assert.Equal(RaffleOrderStatus.PendingPayment, ok.Order!.Status);
        Assert.Null(ok.Order.ExpiresAt);
        Assert.StartsWith(factory.ProofFolder, ok.Order.ProofPath);
        Assert.Equal([0x89, 0x50, 0x4e, 0x47], await File.ReadAllBytesAsync(ok.Order.ProofPath!));
        factory.Clock.Advance(TimeSpan.FromHours(3));
        await factory.RunHandler(RaffleExpiryJob.JobType);
        Assert.Equal(TicketStatus.Reserved, (await RaffleTestData.TicketsAsync(factory, raffle.Id))[42]);
        var proof = await factory.AdminClient().GetAsync($"/api/v1/raffle-orders/{o.Id}/proof");
        Assert.Equal(HttpStatusCode.OK, proof.StatusCode);
        Assert.Equal("image/png", proof.Content.Headers.ContentType!.MediaType);
        Assert.True((await factory.Orders(x => x.ConfirmPaymentAsync(o.Id, "manual", null, default))).Ok);
    }

    [Fact]
    public void Typed_picks_parse_numbers_ranges_and_random()
    {
        Assert.Equal([5, 12, 99], TicketPick.Parse("5, 12, 99")!.Numbers);
        Assert.Equal([10, 11, 12, 13, 14, 15], TicketPick.Parse("10-15")!.Numbers);
        Assert.Equal([1, 2, 3, 9], TicketPick.Parse("3 - 1, 9")!.Numbers);
        Assert.Equal(3, TicketPick.Parse("random 3")!.RandomCount);
        Assert.Equal(2, TicketPick.Parse("al azar 2")!.RandomCount);
        Assert.Null(TicketPick.Parse("confirm"));
        Assert.Null(TicketPick.Parse("1-9999999"));
        Assert.Null(TicketPick.Parse("random 0"));
    }
}
