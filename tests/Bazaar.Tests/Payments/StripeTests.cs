using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;

namespace Bazaar.Tests.Payments;

public sealed class StripeTests(PaymentsAppFactory factory) : IClassFixture<PaymentsAppFactory>
{
    private static string EventJson(string eventId, string type, string sessionId, string paymentStatus, long created) => new JsonObject
    {
        ["id"] = eventId,
        ["object"] = "event",
        ["api_version"] = "2024-06-20",
        ["created"] = created,
        ["livemode"] = false,
        ["pending_webhooks"] = 1,
        ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
        ["type"] = type,
        ["data"] = new JsonObject
        {
            ["object"] = new JsonObject
            {
                ["id"] = sessionId, ["object"] = "checkout.session", ["mode"] = "payment", ["status"] = "complete",
                ["payment_status"] = paymentStatus, ["currency"] = "usd", ["amount_total"] = 1234, ["livemode"] = false,
            },
        },
    }.ToJsonString();

    /// <summary>Stripe's scheme: v1 = hex HMAC-SHA256 of "{t}.{payload}" keyed with the endpoint secret.</summary>
    private static string Sign(string payload, long t, string secret = PaymentsAppFactory.StripeWebhookSecret)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{payload}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    private long Now => factory.Clock.GetUtcNow().ToUnixTimeSeconds();

    private async Task<HttpResponseMessage> PostWebhook(string payload, string signature)
    {
        using var client = factory.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/payments/stripe/webhook")
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        return await client.SendAsync(request);
    }

    private async Task<(long Id, string Session, Bazaar.Server.Data.ChatUser User)> NewCheckout(decimal amount = 12.34m)
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var p = await PaymentTestData.CreatePaymentAsync(factory, user.Id, "stripe", amount);
        return (p.GetProperty("id").GetInt64(), p.GetProperty("providerPaymentId").GetString()!, user);
    }

    [Fact]
    public async Task Creating_a_payment_opens_a_Checkout_Session_and_returns_its_link()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var p = await PaymentTestData.CreatePaymentAsync(factory, user.Id, "stripe", 12.34m);
        var id = p.GetProperty("id").GetInt64();

        var call = factory.Stripe.Sessions.Single(s => s.Form.GetValueOrDefault("client_reference_id") == id.ToString());
        Assert.Equal("Bearer sk_test_fake_123", call.Authorization);
        Assert.Equal("payment", call.Form["mode"]);
        Assert.Equal("1234", call.Form["line_items[0][price_data][unit_amount]"]);
        Assert.Equal("usd", call.Form["line_items[0][price_data][currency]"]);
        Assert.Equal($"https://shop.example/payments/stripe/success?payment={id}", call.Form["success_url"]);
        Assert.Equal(call.Session["id"]!.ToString(), p.GetProperty("providerPaymentId").GetString());
        Assert.Equal($"https://checkout.stripe.com/c/pay/{call.Session["id"]}", p.GetProperty("payUrl").GetString());
        Assert.Equal("PENDING", p.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_signed_checkout_session_completed_credits_the_wallet_once_even_when_repeated_or_followed_by_another_event()
    {
        var (id, session, user) = await NewCheckout();
        var payload = EventJson("evt_" + Guid.NewGuid().ToString("N"), "checkout.session.completed", session, "paid", Now);

        var first = await PostWebhook(payload, Sign(payload, Now));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("COMPLETED", (await PaymentTestData.GetPaymentAsync(factory, id)).GetProperty("status").GetString());
        Assert.Equal(12_34, await MoneyTestData.BalanceAsync(factory, user.Id));

        Assert.Equal(HttpStatusCode.OK, (await PostWebhook(payload, Sign(payload, Now))).StatusCode);
        var other = EventJson("evt_" + Guid.NewGuid().ToString("N"), "checkout.session.async_payment_succeeded", session, "paid", Now);
        Assert.Equal(HttpStatusCode.OK, (await PostWebhook(other, Sign(other, Now))).StatusCode);
        Assert.Equal(12_34, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Single(await PaymentTestData.TextsToAsync(factory, user.ExternalId), t => t.Contains("added to your wallet"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Concurrent_identical_webhooks_credit_once()
    {
        var (_, session, user) = await NewCheckout(50m);
        var payload = EventJson("evt_" + Guid.NewGuid().ToString("N"), "checkout.session.completed", session, "paid", Now);
        var signature = Sign(payload, Now);

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => PostWebhook(payload, signature)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(50_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_bad_or_stale_signature_is_a_400_and_changes_nothing()
    {
        var (id, session, user) = await NewCheckout();
        var payload = EventJson("evt_" + Guid.NewGuid().ToString("N"), "checkout.session.completed", session, "paid", Now);

        await (await PostWebhook(payload, Sign(payload, Now, "whsec_wrong"))).AssertProblem(400, "bad_signature");
        await (await PostWebhook(payload, Sign(payload, Now - 600))).AssertProblem(400, "bad_signature");
        await (await PostWebhook(payload.Replace("\"paid\"", "\"paid\" "), Sign(payload, Now))).AssertProblem(400, "bad_signature");
        await (await PostWebhook(payload, "")).AssertProblem(400, "bad_signature");

        Assert.Equal("PENDING", (await PaymentTestData.GetPaymentAsync(factory, id)).GetProperty("status").GetString());
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task An_async_payment_waits_for_its_outcome()
    {
        var (id, session, user) = await NewCheckout(20m);
        var completed = EventJson("evt_" + Guid.NewGuid().ToString("N"), "checkout.session.completed", session, "unpaid", Now);
        Assert.Equal(HttpStatusCode.OK, (await PostWebhook(completed, Sign(completed, Now))).StatusCode);
        Assert.Equal("PENDING", (await PaymentTestData.GetPaymentAsync(factory, id)).GetProperty("status").GetString());

        var succeeded = EventJson("evt_" + Guid.NewGuid().ToString("N"), "checkout.session.async_payment_succeeded", session, "paid", Now);
        Assert.Equal(HttpStatusCode.OK, (await PostWebhook(succeeded, Sign(succeeded, Now))).StatusCode);
        Assert.Equal(20_00, await MoneyTestData.BalanceAsync(factory, user.Id));

        var (failedId, failedSession, failedUser) = await NewCheckout(7m);
        var failed = EventJson("evt_" + Guid.NewGuid().ToString("N"), "checkout.session.async_payment_failed", failedSession, "unpaid", Now);
        Assert.Equal(HttpStatusCode.OK, (await PostWebhook(failed, Sign(failed, Now))).StatusCode);
        Assert.Equal("FAILED", (await PaymentTestData.GetPaymentAsync(factory, failedId)).GetProperty("status").GetString());
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, failedUser.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task When_Stripe_refuses_the_session_the_payment_fails_with_a_502()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        factory.Stripe.FailNext = true;
        using var client = factory.AdminClient();
        var response = await client.PostJson("/api/v1/payments", new { userId = user.Id, method = "stripe", amount = 3m });
        await response.AssertProblem(502, "provider_unavailable");
    }
}
