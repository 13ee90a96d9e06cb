using System.Globalization;
using Bazaar.Server.Admin;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Payments;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Hosting;

/// <summary>
/// Settings checked when the host starts (ValidateOnStart), so a typo stops the server with one line naming the key
/// instead of failing at the first payment or webhook. Program prints each failure as a <see cref="StartupError"/> would.
/// Each failure starts with the key it is about.
/// </summary>
public static class SettingsChecks
{
    public static IServiceCollection AddSettingsChecks(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminSettingsCheck>();
        services.AddSingleton<IValidateOptions<PaymentsOptions>, PaymentsSettingsCheck>();
        services.AddSingleton<IValidateOptions<TelegramOptions>, TelegramSettingsCheck>();
        services.AddOptions<AdminOptions>().ValidateOnStart();
        services.AddOptions<PaymentsOptions>().ValidateOnStart();
        services.AddOptions<TelegramOptions>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisSettingsCheck>();
        services.AddOptions<RedisOptions>().ValidateOnStart();
        return services;
    }

    /// <summary>
    /// The lines to print for an exception that stopped the start, or null when it is not about a setting
    /// (then it goes out as it is, with its stack trace).
    /// </summary>
    public static IReadOnlyList<string>? Describe(Exception e) => e switch
    {
        Data.StartupError s => [s.Message],
        OptionsValidationException v => v.Failures.ToList(),
        AggregateException a when a.InnerExceptions.All(i => Describe(i) is not null) => a.InnerExceptions.SelectMany(i => Describe(i)!).ToList(),
        // The configuration binder names the key itself: "Failed to convert configuration value 'x' at 'Telegram:Mode' to type ...".
        InvalidOperationException b when b.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) => [b.Message],
        _ => null,
    };

    internal sealed class AdminSettingsCheck : IValidateOptions<AdminOptions>
    {
        public ValidateOptionsResult Validate(string? name, AdminOptions o)
        {
            var bad = (o.TelegramIds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .FirstOrDefault(s => !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0);
            return bad is null
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"Admin:TelegramIds must be comma-separated Telegram user ids (positive numbers, e.g. 12345,67890); '{bad}' is not one.");
        }
    }

    internal sealed class PaymentsSettingsCheck : IValidateOptions<PaymentsOptions>
    {
        public ValidateOptionsResult Validate(string? name, PaymentsOptions o)
        {
            var failures = new List<string>();
            Xpub("Btc", CoinParams.Bitcoin, o.Crypto.Btc.Xpub, "xpub, ypub or zpub");
            Xpub("Ltc", CoinParams.Litecoin, o.Crypto.Ltc.Xpub, "Ltub, Mtub, xpub, ypub or zpub");
            if (!string.IsNullOrWhiteSpace(o.Stripe.SecretKey) && string.IsNullOrWhiteSpace(o.Stripe.WebhookSecret))
                failures.Add("Payments:Stripe:WebhookSecret is empty while Payments:Stripe:SecretKey is set: without it no Stripe payment " +
                    "could ever be confirmed (set the whsec_... signing secret of the webhook endpoint, or remove the secret key).");
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

            void Xpub(string coin, CoinParams p, string? value, string kinds)
            {
                if (!string.IsNullOrWhiteSpace(value) && !CoinAddresses.IsValidXpub(p, value))
                    failures.Add($"Payments:Crypto:{coin}:Xpub is not an account extended public key ({kinds}) this server can read.");
            }
        }
    }

    internal sealed class TelegramSettingsCheck : IValidateOptions<TelegramOptions>
    {
        public ValidateOptionsResult Validate(string? name, TelegramOptions o) =>
            o.EffectiveMode == TelegramMode.Webhook && string.IsNullOrWhiteSpace(o.WebhookSecret)
                ? ValidateOptionsResult.Fail("Telegram:WebhookSecret is empty while Telegram:Mode is Webhook" +
                    (o.Mode is null ? " (the default with a bot token)" : "") +
                    ": every webhook call would be refused (set it, e.g. to the output of `openssl rand -hex 32`, or use Telegram:Mode=Polling).")
                : ValidateOptionsResult.Success;
    }

    internal sealed class RedisSettingsCheck : IValidateOptions<RedisOptions>
    {
        public ValidateOptionsResult Validate(string? name, RedisOptions o)
        {
            if (string.IsNullOrWhiteSpace(o.Connection)) return ValidateOptionsResult.Success;
            try
            {
                RedisLimits.Parse(o.Connection);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                // The message names the bad part, never the whole string: it may hold a password.
                return ValidateOptionsResult.Fail("Redis:Connection is not a StackExchange.Redis configuration string " +
                    $"(e.g. 127.0.0.1:6379 or redis1:6379,password=...): {e.Message}");
            }
            if (o.Prefix?.Trim() is { Length: > 0 } p && (p.Length > 64 || p.Any(c => char.IsWhiteSpace(c) || c is '{' or '}')))
                return ValidateOptionsResult.Fail("Redis:Prefix must be at most 64 characters, without spaces or braces (it goes into every key name).");
            return ValidateOptionsResult.Success;
        }
    }
}
