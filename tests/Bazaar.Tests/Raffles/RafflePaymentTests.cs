using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Raffles;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Shop;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Raffles;

/// <summary>Paying a raffle order online: the <c>raffle</c> purpose of the payment model, through Stars, Stripe and Robokassa.</summary>
public sealed class RafflePaymentTests(RafflePaymentsAppFactory factory) : IClassFixture<RafflePaymentsAppFactory>
{
    // Helpers

    private static string Md5Hex(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));

    private async Task<HttpResponseMessage> RobokassaResult(long paymentId, long userId, string outSum)
    {
        using var client = factory.CreateClient();
        var signature = Md5Hex($"{outSum}:{paymentId}:{RafflePaymentsAppFactory.RobokassaPassword2}:Shp_user={userId}");
        return await client.PostAsync("/api/v1/payments/robokassa/result", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["OutSum"] = outSum, ["InvId"] = paymentId.ToString(), ["SignatureValue"] = signature, ["Shp_user"] = userId.ToString(),
        }));
    }

    private async Task<HttpResponseMessage> StripeCompleted(string sessionId, string eventId)
    {
        var t = factory.Clock.GetUtcNow().ToUnixTimeSeconds();
        var payload = new JsonObject
        {
            ["id"] = eventId, ["object"] = "event", ["api_version"] = "2024-06-20", ["created"] = t, ["livemode"] = false, ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null }, ["type"] = "checkout.session.completed",
            ["data"] = new JsonObject
            {
                ["object"] = new JsonObject
                {
                    ["id"] = sessionId, ["object"] = "checkout.session", ["mode"] = "payment", ["status"] = "complete", ["payment_status"] = "paid",
                    ["currency"] = "usd", ["livemode"] = false,
                },
            },
        }.ToJsonString();
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(RafflePaymentsAppFactory.StripeWebhookSecret), Encoding.UTF8.GetBytes($"{t}.{payload}"));
        using var client = factory.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/payments/stripe/webhook") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", $"t={t},v1={Convert.ToHexStringLower(mac)}");
        return await client.SendAsync(request);
    }

    /// <summary>POST /api/v1/payments for a raffle order (the integrator's way; the bot's is below).</summary>
    private async Task<(HttpStatusCode Status, JsonElement Body)> CreatePayment(long userId, string method, long orderId, decimal amount)
    {
        using var client = factory.AdminClient();
        var r = await client.PostJson("/api/v1/payments", new { userId, method, purpose = "raffle", purposeRef = orderId.ToString(), amount, currency = "USD" });
        return (r.StatusCode, await r.ReadJson());
    }

    private async Task<long> PaymentOf(long userId, string method, long orderId, decimal amount)
    {
        var (status, body) = await CreatePayment(userId, method, orderId, amount);
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        return body.GetProperty("id").GetInt64();
    }

    private async Task<(ChatUser User, RaffleOrder Order)> PendingOrder(Raffle raffle, string numbers)
    {
        var u = await MoneyTestData.CreateUserAsync(factory);
        var reserved = await factory.Reserve(u.Id, raffle.Id, TicketPick.Parse(numbers)!);
        Assert.True(reserved.Ok, reserved.Detail);
        var confirmed = await factory.Orders(o => o.ConfirmSelectionAsync(u.Id, reserved.Order!.Id, default));
        Assert.True(confirmed.Ok, confirmed.Detail);
        return (u, confirmed.Order!);
    }

    private Task<int> SalesOf(long orderId) =>
        factory.WithDb(db => db.LedgerTransactions.CountAsync(t => t.Kind == "raffle_purchase" && t.ExternalRef == RaffleOrders.SaleRef(orderId)));

    private async Task<List<string>> Texts(ChatUser u) =>
        (await factory.OutboxFor(long.Parse(u.ExternalId))).Where(m => m.Method == "sendMessage")
            .Select(m => JsonNode.Parse(m.Payload)!["text"]!.GetValue<string>()).ToList();

    private async Task AssertPaid(RaffleOrder order, ChatUser u, string paidWith)
    {
        var o = await RaffleTestData.OrderAsync(factory, order.Id);
        Assert.Equal(RaffleOrderStatus.Paid, o.Status);
        Assert.Equal(paidWith, o.PaidWith);
        Assert.NotNull(o.PaymentId);
        var tickets = await RaffleTestData.TicketsAsync(factory, order.RaffleId);
        Assert.All(order.Numbers.Split(',').Select(int.Parse), n => Assert.Equal(TicketStatus.Sold, tickets[n]));
        Assert.Equal(1, await SalesOf(order.Id));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, u.Id));
        Assert.Single(await Texts(u), t => t.Contains("Payment confirmed"));
        await RaffleTestData.AssertNoTicketInTwoOrdersAsync(factory, order.RaffleId);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    // In the bot

    [Fact]
    public async Task In_Telegram_the_payment_step_offers_Pay_online_and_a_Robokassa_result_repeated_concurrently_pays_the_order_once()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, price: 2_50);
        var chat = Updates.NewUserId();
        await factory.Send(Updates.Text(chat, "/raffles"));
        await factory.Send(Updates.Callback(chat, $"raf:v:{raffle.Id}"));
        await factory.Send(Updates.Text(chat, "5, 12"));
        await factory.Send(Updates.Text(chat, "confirm"));

        var user = await factory.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Telegram && u.ExternalId == chat.ToString()));
        var order = await factory.WithDb(db => db.RaffleOrders.AsNoTracking().SingleAsync(o => o.UserId == user.Id));
        var payStep = (await factory.OutboxFor(chat)).Last(m => m.Method == "sendMessage");
        Assert.Contains("pay online", JsonNode.Parse(payStep.Payload)!["text"]!.GetValue<string>());
        var buttons = ShopTestData.Buttons(payStep.Payload);
        Assert.Equal([$"raf:p:{order.Id}:stars", $"raf:p:{order.Id}:stripe", $"raf:p:{order.Id}:robokassa", $"raf:x:{order.Id}"], buttons);

        await factory.Send(Updates.Callback(chat, $"raf:p:{order.Id}:robokassa"));
        var payment = await factory.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.UserId == user.Id));
        Assert.Equal((PaymentPurpose.Raffle, order.Id.ToString(), 5_00L), (payment.Purpose, payment.PurposeRef, payment.Amount));
        var link = JsonNode.Parse((await factory.OutboxFor(chat)).Last(m => m.Method == "sendMessage").Payload)!["reply_markup"]!["inline_keyboard"]![0]![0]!["url"]!.GetValue<string>();
        Assert.Contains($"InvId={payment.Id}", link);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => RobokassaResult(payment.Id, user.Id, "5.00")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await AssertPaid(order, user, "robokassa");
        Assert.Equal(payment.Id, (await RaffleTestData.OrderAsync(factory, order.Id)).PaymentId);
        // A proof sent afterwards does not reopen anything.
        await factory.Send(Updates.Text(chat, "cancel"));
        Assert.Equal(RaffleOrderStatus.Paid, (await RaffleTestData.OrderAsync(factory, order.Id)).Status);
    }

    [Fact]
    public async Task A_Stars_invoice_from_the_bot_paid_twice_at_once_confirms_the_tickets_once()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 50, price: 1_00);
        var chat = Updates.NewUserId();
        await factory.Send(Updates.Text(chat, "/raffles"));
        await factory.Send(Updates.Callback(chat, $"raf:v:{raffle.Id}"));
        await factory.Send(Updates.Text(chat, "random 2"));
        await factory.Send(Updates.Text(chat, "confirm"));
        var user = await factory.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Telegram && u.ExternalId == chat.ToString()));
        var order = await factory.WithDb(db => db.RaffleOrders.AsNoTracking().SingleAsync(o => o.UserId == user.Id));

        await factory.Send(Updates.Callback(chat, $"raf:p:{order.Id}:stars"));

        var invoice = (await factory.OutboxFor(chat)).Single(m => m.Method == "sendInvoice");
        var payment = await factory.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.UserId == user.Id));
        Assert.Equal((PaymentMethod.Stars, 100L), (payment.Method, payment.PayAmount)); // 2 USD at 50 Stars
        Assert.Equal(StarsPayments.PayloadFor(payment.Id), JsonNode.Parse(invoice.Payload)!["payload"]!.GetValue<string>());
        var check = await factory.In(sp => sp.GetRequiredService<StarsPayments>().ValidatePreCheckoutAsync(StarsPayments.PayloadFor(payment.Id), 100, "XTR", default));
        Assert.True(check.Ok);

        var charge = "charge-" + Guid.NewGuid();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            factory.In(sp => sp.GetRequiredService<StarsPayments>().CompleteStarsPaymentAsync(charge, StarsPayments.PayloadFor(payment.Id), 100, default)))));

        await AssertPaid(order, user, "stars");
    }

    // Through the payment API

    [Fact]
    public async Task Concurrent_identical_Stripe_webhooks_pay_the_raffle_order_once()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, price: 3_00);
        var (u, order) = await PendingOrder(raffle, "7, 8, 9");
        var (status, body) = await CreatePayment(u.Id, "stripe", order.Id, 9.00m);
        Assert.Equal(HttpStatusCode.Created, status);
        var session = body.GetProperty("providerPaymentId").GetString()!;
        var evt = "evt_" + Guid.NewGuid().ToString("N");

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => StripeCompleted(session, evt)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await AssertPaid(order, u, "stripe");
        // Another event for the same session changes nothing.
        Assert.Equal(HttpStatusCode.OK, (await StripeCompleted(session, "evt_" + Guid.NewGuid().ToString("N"))).StatusCode);
        Assert.Equal(1, await SalesOf(order.Id));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, u.Id));
    }

    [Fact]
    public async Task Two_different_payments_for_one_order_completing_at_once_pay_it_once_and_keep_the_other_in_the_wallet()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, price: 2_00);
        var (u, order) = await PendingOrder(raffle, "20-21");
        var a = await PaymentOf(u.Id, "robokassa", order.Id, 4.00m);
        var b = await PaymentOf(u.Id, "robokassa", order.Id, 4.00m);

        var responses = await Task.WhenAll(RobokassaResult(a, u.Id, "4.00"), RobokassaResult(b, u.Id, "4.00"));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(RaffleOrderStatus.Paid, (await RaffleTestData.OrderAsync(factory, order.Id)).Status);
        Assert.Equal(1, await SalesOf(order.Id));
        Assert.Equal(4_00, await MoneyTestData.BalanceAsync(factory, u.Id));
        var texts = await Texts(u);
        Assert.Single(texts, t => t.Contains("Payment confirmed"));
        Assert.Single(texts, t => t.Contains("money is in your wallet"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task An_online_payment_and_an_operator_confirming_a_proof_at_once_sell_the_tickets_once()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, price: 1_00);
        var (u, order) = await PendingOrder(raffle, "33");
        Assert.True((await factory.Orders(o => o.AttachProofReferenceAsync(u.Id, order.Id, "sandbox:proof", "image/png", 100, default))).Ok);
        var payment = await PaymentOf(u.Id, "robokassa", order.Id, 1.00m);

        var operatorTask = Task.Run(() => factory.Orders(o => o.ConfirmPaymentAsync(order.Id, "proof", null, default)));
        var online = await RobokassaResult(payment, u.Id, "1.00");
        var byOperator = await operatorTask;

        Assert.Equal(HttpStatusCode.OK, online.StatusCode);
        var o = await RaffleTestData.OrderAsync(factory, order.Id);
        Assert.Equal(RaffleOrderStatus.Paid, o.Status);
        Assert.Equal(TicketStatus.Sold, (await RaffleTestData.TicketsAsync(factory, raffle.Id))[33]);
        // Whichever came second found the order paid: the operator gets a 409, or the online money stays in the wallet.
        if (byOperator.Ok) Assert.Equal(1_00, await MoneyTestData.BalanceAsync(factory, u.Id));
        else
        {
            Assert.Equal(RaffleErrors.IllegalTransition, byOperator.Error);
            Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, u.Id));
            Assert.Equal(1, await SalesOf(order.Id));
        }
        Assert.Single(await Texts(u), t => t.Contains("Payment confirmed"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_payment_is_only_created_for_a_live_order_of_the_user_at_its_price()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, price: 2_00);
        var (u, order) = await PendingOrder(raffle, "40");
        var stranger = await MoneyTestData.CreateUserAsync(factory);

        var (s1, b1) = await CreatePayment(u.Id, "robokassa", order.Id, 1.00m);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, RaffleErrors.PriceMismatch), (s1, b1.GetProperty("code").GetString()));
        var (s2, b2) = await CreatePayment(stranger.Id, "robokassa", order.Id, 2.00m);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, RaffleErrors.OrderNotFound), (s2, b2.GetProperty("code").GetString()));

        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        var (s3, b3) = await CreatePayment(u.Id, "robokassa", order.Id, 2.00m);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, RaffleErrors.IllegalTransition), (s3, b3.GetProperty("code").GetString()));
    }

    // Late payments

    [Fact]
    public async Task A_payment_arriving_after_the_order_expired_buys_the_same_numbers_when_they_are_still_free()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, price: 2_00);
        var (u, order) = await PendingOrder(raffle, "50, 51");
        var payment = await PaymentOf(u.Id, "robokassa", order.Id, 4.00m);
        factory.Clock.Advance(TimeSpan.FromMinutes(20));
        await factory.RunHandler(RaffleExpiryJob.JobType);
        Assert.Equal(RaffleOrderStatus.Expired, (await RaffleTestData.OrderAsync(factory, order.Id)).Status);
        Assert.Equal(TicketStatus.Available, (await RaffleTestData.TicketsAsync(factory, raffle.Id))[50]);

        Assert.Equal(HttpStatusCode.OK, (await RobokassaResult(payment, u.Id, "4.00")).StatusCode);

        await AssertPaid(order, u, "robokassa");
        Assert.Single(await Texts(u), t => t.Contains("expired unpaid"));
    }

    [Fact]
    public async Task A_payment_arriving_after_the_hold_lapsed_but_before_the_job_ran_still_buys_the_numbers()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, price: 2_00);
        var (u, order) = await PendingOrder(raffle, "60");
        var payment = await PaymentOf(u.Id, "robokassa", order.Id, 2.00m);
        factory.Clock.Advance(TimeSpan.FromMinutes(16));

        Assert.Equal(HttpStatusCode.OK, (await RobokassaResult(payment, u.Id, "2.00")).StatusCode);
        await factory.RunHandler(RaffleExpiryJob.JobType);

        await AssertPaid(order, u, "robokassa");
    }

    [Fact]
    public async Task A_late_payment_for_numbers_taken_meanwhile_is_kept_in_the_wallet_and_the_other_buyer_keeps_them()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, price: 2_00);
        var (u, order) = await PendingOrder(raffle, "70, 71");
        var payment = await PaymentOf(u.Id, "robokassa", order.Id, 4.00m);
        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        var other = await MoneyTestData.CreateUserAsync(factory);
        var theirs = await factory.Reserve(other.Id, raffle.Id, TicketPick.Parse("71")!);
        Assert.True(theirs.Ok);

        Assert.Equal(HttpStatusCode.OK, (await RobokassaResult(payment, u.Id, "4.00")).StatusCode);

        var mine = await RaffleTestData.OrderAsync(factory, order.Id);
        Assert.NotEqual(RaffleOrderStatus.Paid, mine.Status);
        var tickets = await RaffleTestData.TicketsAsync(factory, raffle.Id);
        Assert.Equal(TicketStatus.Reserved, tickets[71]);
        Assert.NotEqual(TicketStatus.Sold, tickets[70]);
        Assert.Equal(theirs.Order!.Id, await factory.WithDb(db => db.RaffleTickets.Where(t => t.RaffleId == raffle.Id && t.Number == 71).Select(t => t.OrderId).SingleAsync()));
        Assert.Equal(0, await SalesOf(order.Id));
        Assert.Equal(4_00, await MoneyTestData.BalanceAsync(factory, u.Id));
        Assert.Equal("COMPLETED", (await Payments.PaymentTestData.GetPaymentAsync(factory, payment)).GetProperty("status").GetString());
        Assert.Single(await Texts(u), t => t.Contains("money is in your wallet"));
        await RaffleTestData.AssertNoTicketInTwoOrdersAsync(factory, raffle.Id);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_late_payment_after_the_raffle_closed_is_kept_in_the_wallet()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, price: 2_00);
        var (u, order) = await PendingOrder(raffle, "80");
        var payment = await PaymentOf(u.Id, "robokassa", order.Id, 2.00m);
        factory.Clock.Advance(TimeSpan.FromMinutes(20));
        await factory.RunHandler(RaffleExpiryJob.JobType);
        await factory.WithDb(db => db.Raffles.Where(r => r.Id == raffle.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RaffleStatus.Closed)));

        Assert.Equal(HttpStatusCode.OK, (await RobokassaResult(payment, u.Id, "2.00")).StatusCode);

        Assert.Equal(RaffleOrderStatus.Expired, (await RaffleTestData.OrderAsync(factory, order.Id)).Status);
        Assert.Equal(TicketStatus.Available, (await RaffleTestData.TicketsAsync(factory, raffle.Id))[80]);
        Assert.Equal(2_00, await MoneyTestData.BalanceAsync(factory, u.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_payment_for_an_order_the_customer_cancelled_is_kept_in_the_wallet_and_the_numbers_stay_free()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, price: 2_00);
        var (u, order) = await PendingOrder(raffle, "90");
        var payment = await PaymentOf(u.Id, "robokassa", order.Id, 2.00m);
        Assert.True((await factory.Orders(o => o.CancelAsync(order.Id, u.Id, "changed my mind", default))).Ok);

        Assert.Equal(HttpStatusCode.OK, (await RobokassaResult(payment, u.Id, "2.00")).StatusCode);

        Assert.Equal(RaffleOrderStatus.Cancelled, (await RaffleTestData.OrderAsync(factory, order.Id)).Status);
        Assert.Equal(TicketStatus.Available, (await RaffleTestData.TicketsAsync(factory, raffle.Id))[90]);
        Assert.Equal(2_00, await MoneyTestData.BalanceAsync(factory, u.Id));
        Assert.Single(await Texts(u), t => t.Contains("money is in your wallet"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_credit_below_the_order_price_pays_nothing_and_stays_in_the_wallet()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, price: 5_00);
        var (u, order) = await PendingOrder(raffle, "95");
        var payment = await PaymentOf(u.Id, "robokassa", order.Id, 5.00m);
        // Money already in the wallet is not spent on the order without the customer asking.
        await ShopTestData.FundAsync(factory, u.Id, 10_00);

        // As a crypto payment worth less at first sight than quoted would complete.
        var r = await factory.In(sp => sp.GetRequiredService<PaymentService>().CompleteAsync(payment, null, null, null, new Completion(CreditAmount: 1_00), default));

        Assert.Equal(CompleteOutcome.Completed, r.Outcome);
        Assert.Equal(RaffleOrderStatus.PendingPayment, (await RaffleTestData.OrderAsync(factory, order.Id)).Status);
        Assert.Equal(11_00, await MoneyTestData.BalanceAsync(factory, u.Id));
        Assert.Equal(0, await SalesOf(order.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }
}
