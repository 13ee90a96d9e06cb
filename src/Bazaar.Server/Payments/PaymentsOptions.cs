namespace Bazaar.Server.Payments;

public sealed class PaymentsOptions
{
    /// <summary>The server's public base URL, for Stripe's and Robokassa's return pages.</summary>
    public string PublicUrl { get; set; } = "http://127.0.0.1:8080";
    public ManualOptions Manual { get; set; } = new();
    public StripeOptions Stripe { get; set; } = new();
    public RobokassaOptions Robokassa { get; set; } = new();
    public CryptoOptions Crypto { get; set; } = new();
    public RatesOptions Rates { get; set; } = new();
    public StarsOptions Stars { get; set; } = new();
    /// <summary>
    /// Methods switched off although their keys are set (comma-separated wire names, e.g. "btc,stripe"); the owner
    /// flips them in the dashboard's settings. An off method is neither offered nor accepted for new payments.
    /// </summary>
    public string? Disabled { get; set; }

    public sealed class ManualOptions
    {
        /// <summary>Per method (Bank, Blik): the text shown to the user; {reference}, {amount} are filled in.</summary>
        public Dictionary<string, string> Instructions { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    }

    public sealed class StripeOptions
    {
        public string? SecretKey { get; set; }
        public string? WebhookSecret { get; set; }
        public string? ApiBase { get; set; }
        public long ToleranceSeconds { get; set; } = 300;
    }

    public sealed class RobokassaOptions
    {
        public string? MerchantLogin { get; set; }
        public string? Password1 { get; set; }
        public string? Password2 { get; set; }
        /// <summary>MD5 (default), SHA256 or SHA512, as set in the shop's technical settings.</summary>
        public string HashAlgorithm { get; set; } = "MD5";
        public bool IsTest { get; set; }
        public string PaymentUrl { get; set; } = "https://auth.robokassa.ru/Merchant/Index.aspx";
    }

    public sealed class CryptoOptions
    {
        public CoinOptions Btc { get; set; } = new();
        public CoinOptions Ltc { get; set; } = new();
        public int QuoteMinutes { get; set; } = 30;
        public int Confirmations { get; set; } = 1;
        public int PollSeconds { get; set; } = 60;
        /// <summary>How long an address is watched for a payment before the payment expires.</summary>
        public int WatchHours { get; set; } = 72;
    }

    public sealed class CoinOptions
    {
        public string? Xpub { get; set; }
        public string? ExplorerUrl { get; set; }
    }

    public sealed class RatesOptions
    {
        /// <summary>A CoinGecko-compatible simple price endpoint (…/api/v3/simple/price).</summary>
        public string Url { get; set; } = "https://api.coingecko.com/api/v3/simple/price";
        public int RefreshMinutes { get; set; } = 10;
    }

    public sealed class StarsOptions
    {
        public bool Enabled { get; set; } = true;
        /// <summary>How many stars one unit of the shop currency costs.</summary>
        public decimal StarsPerUnit { get; set; } = 50;
        /// <summary>When the recovery job first re-asks Telegram about a refund left REFUNDING.</summary>
        public int RefundRecoverySeconds { get; set; } = 300;
    }

    /// <summary>The method's keys are set, so it could be offered (whether or not it is switched off).</summary>
    public bool IsConfigured(PaymentMethod m) => m switch
    {
        PaymentMethod.ManualBank => Manual.Instructions.ContainsKey("Bank"),
        PaymentMethod.ManualBlik => Manual.Instructions.ContainsKey("Blik"),
        PaymentMethod.Btc => !string.IsNullOrWhiteSpace(Crypto.Btc.Xpub),
        PaymentMethod.Ltc => !string.IsNullOrWhiteSpace(Crypto.Ltc.Xpub),
        PaymentMethod.Stars => Stars.Enabled,
        PaymentMethod.Stripe => !string.IsNullOrWhiteSpace(Stripe.SecretKey),
        PaymentMethod.Robokassa => !string.IsNullOrWhiteSpace(Robokassa.MerchantLogin) && !string.IsNullOrWhiteSpace(Robokassa.Password1),
        _ => false,
    };

    public bool IsSwitchedOff(PaymentMethod m) =>
        (Disabled ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Contains(m.WireName(), StringComparer.OrdinalIgnoreCase);

    public bool IsEnabled(PaymentMethod m) => IsConfigured(m) && !IsSwitchedOff(m);
}
