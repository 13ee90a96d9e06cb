using Bazaar.Tests.Fakes;

namespace Bazaar.Tests.Raffles;

/// <summary>The raffles server with online payments: Stars (from the shop host), Stripe on a fake API, and Robokassa.</summary>
public sealed class RafflePaymentsAppFactory : RafflesAppFactory
{
    public const string StripeWebhookSecret = "whsec_raffles_0123456789";
    public const string RobokassaPassword2 = "raffle-pass-two";
    public FakeStripeApi Stripe { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Stripe = await FakeStripeApi.StartAsync();
        With("Payments:PublicUrl", "https://shop.example");
        With("Payments:Stripe:SecretKey", "sk_test_raffles");
        With("Payments:Stripe:WebhookSecret", StripeWebhookSecret);
        With("Payments:Stripe:ApiBase", Stripe.BaseUrl);
        With("Payments:Robokassa:MerchantLogin", "raffle-shop");
        With("Payments:Robokassa:Password1", "raffle-pass-one");
        With("Payments:Robokassa:Password2", RobokassaPassword2);
        With("Payments:Robokassa:IsTest", "true");
        await base.InitializeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Stripe?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
