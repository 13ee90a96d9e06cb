using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;

namespace Bazaar.Server.Shop;

public static class ShopModule
{
    public static IServiceCollection AddShop(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<ShopOptions>(config.GetSection("Shop"));
        services.AddScoped<ShopTransaction>();
        services.AddScoped<Reservations>();
        services.AddScoped<Purchase>();
        services.AddScoped<ShopDelivery>();
        services.AddScoped<Entitlements>();
        services.AddScoped<ShopBot>();
        services.AddScoped<IPaymentFulfilment, OrderPaymentFulfilment>();
        services.AddScoped<IDemoSeed, ShopDemoSeed>();
        services.AddJobHandler<ReservationCleanupJob>(ReservationCleanupJob.JobType);
        services.AddRecurringJob(ReservationCleanupJob.JobType, TimeSpan.FromMinutes(5), ReservationCleanupJob.JobType);
        services.AddJobHandler<InviteJob>(InviteJob.JobType);
        services.AddJobHandler<EntitlementExpiryJob>(EntitlementExpiryJob.JobType);
        services.AddRecurringJob(EntitlementExpiryJob.JobType, TimeSpan.FromMinutes(5), EntitlementExpiryJob.JobType);
        services.AddBotRoutes(ShopBot.Register);
        return services;
    }

}
