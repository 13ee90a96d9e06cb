using Bazaar.Server.Wallet;
using Microsoft.Extensions.Options;
using Stripe;
using Stripe.Checkout;

namespace Bazaar.Server.Payments;

public enum StripeWebhookOutcome { Handled, Ignored, BadSignature, Duplicate, UnknownSession }

/// <summary>Stripe Checkout Sessions and the signed webhook that settles them.</summary>
public sealed class StripePayments(IOptions<PaymentsOptions> options, IHttpClientFactory http, PaymentService payments,
    Data.BazaarDb db, TimeProvider clock, ILogger<StripePayments> log)
{
    private PaymentsOptions O => options.Value;

    private StripeClient Client(bool networkRetries) => new(
        apiKey: O.Stripe.SecretKey!,
        // A job retries with its own backoff instead of Stripe.net sleeping in a worker.
        httpClient: networkRetries ? new SystemNetHttpClient(http.CreateClient("stripe")) : new SystemNetHttpClient(http.CreateClient("stripe"), maxNetworkRetries: 0),
        apiBase: string.IsNullOrWhiteSpace(O.Stripe.ApiBase) ? null : O.Stripe.ApiBase.TrimEnd('/'));

    public Task<Session> CreateSessionAsync(Payment p, string description, CancellationToken ct) =>
        CreateSessionAsync(p, description, networkRetries: true, ct);

    /// <param name="networkRetries">False in a job: one request per attempt.</param>
    public async Task<Session> CreateSessionAsync(Payment p, string description, bool networkRetries, CancellationToken ct)
    {
        var baseUrl = O.PublicUrl.TrimEnd('/');
        var service = new SessionService(Client(networkRetries));
        return await service.CreateAsync(new SessionCreateOptions
        {
            Mode = "payment",
            ClientReferenceId = p.Id.ToString(),
            Metadata = new Dictionary<string, string> { ["payment_id"] = p.Id.ToString() },
            LineItems =
            [
                new SessionLineItemOptions
                {
                    Quantity = 1,
                    PriceData = new SessionLineItemPriceDataOptions
                    {
                        Currency = p.Currency.ToLowerInvariant(),
                        UnitAmount = p.Amount,
                        ProductData = new SessionLineItemPriceDataProductDataOptions { Name = description },
                    },
                },
            ],
            SuccessUrl = $"{baseUrl}/payments/stripe/success?payment={p.Id}",
            CancelUrl = $"{baseUrl}/payments/stripe/cancel?payment={p.Id}",
        }, new RequestOptions { IdempotencyKey = $"bazaar-payment-{p.Id}" }, ct);
    }

    public async Task<StripeWebhookOutcome> HandleWebhookAsync(string json, string? signatureHeader, CancellationToken ct)
    {
        Event evt;
        try
        {
            evt = EventUtility.ConstructEvent(json, signatureHeader ?? "", O.Stripe.WebhookSecret ?? "",
                O.Stripe.ToleranceSeconds, clock.GetUtcNow().ToUnixTimeSeconds(), throwOnApiVersionMismatch: false);
        }
        catch (StripeException e)
        {
            log.LogWarning("Stripe webhook refused: {Message}", e.Message);
            return StripeWebhookOutcome.BadSignature;
        }
        if (evt.Data.Object is not Session session) return StripeWebhookOutcome.Ignored;

        var paymentId = Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstOrDefaultAsync(
            db.Payments.Where(x => x.Method == PaymentMethod.Stripe && x.ProviderPaymentId == session.Id).Select(x => (long?)x.Id), ct);
        if (await paymentId is not { } id) return StripeWebhookOutcome.UnknownSession;

        switch (evt.Type)
        {
            case EventTypes.CheckoutSessionCompleted when session.PaymentStatus is "paid" or "no_payment_required":
            case EventTypes.CheckoutSessionAsyncPaymentSucceeded:
                var r = await payments.CompleteAsync(id, null, ("stripe", evt.Id), null, null, ct);
                return r.Outcome == CompleteOutcome.DuplicateEvent ? StripeWebhookOutcome.Duplicate : StripeWebhookOutcome.Handled;
            case EventTypes.CheckoutSessionAsyncPaymentFailed:
                await payments.EndAsync(id, PaymentStatus.Failed, "Stripe: the asynchronous payment failed", null, ct);
                return StripeWebhookOutcome.Handled;
            case EventTypes.CheckoutSessionExpired:
                await payments.EndAsync(id, PaymentStatus.Expired, "Stripe: the session expired", null, ct);
                return StripeWebhookOutcome.Handled;
            default:
                return StripeWebhookOutcome.Ignored;
        }
    }

    public static bool SupportsCurrency(string currency) => Currencies.Scale(currency) == 2;
}
