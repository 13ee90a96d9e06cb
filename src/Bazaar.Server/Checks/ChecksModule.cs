using Bazaar.Server.Payments;
using Bazaar.Server.Shop;
using Bazaar.Server.Wallet;

namespace Bazaar.Server.Checks;

public static class ChecksModule
{
    public static IServiceCollection AddChecks(this IServiceCollection services, IConfiguration config)
    {
        services.AddScoped<CheckCredits>();
        services.AddScoped<IShopCredits>(sp => sp.GetRequiredService<CheckCredits>());
        services.AddScoped<IBalanceLines, CreditBalanceLines>();
        services.AddScoped<TariffPurchase>();
        services.AddScoped<IPaymentFulfilment, TariffPaymentFulfilment>();
        return services;
    }

    public static IEndpointRouteBuilder MapChecksApi(this IEndpointRouteBuilder app) => app.MapTariffsApi();
}
