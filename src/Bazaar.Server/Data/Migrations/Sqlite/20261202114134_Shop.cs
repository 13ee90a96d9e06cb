using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Bazaar.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Shop : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "shop_categories",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Position = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_shop_categories", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "shop_entitlements",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ProductId = table.Column<long>(type: "INTEGER", nullable: false),
                    ChannelChatId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    StartsAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    RenewalNotifiedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    EndedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    InviteLink = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_shop_entitlements", x => x.Id);
                    table.ForeignKey(
                        name: "FK_shop_entitlements_users_UserId",
                        column: x => x.UserId,
                        principalTable: "users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "shop_locations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    ParentId = table.Column<long>(type: "INTEGER", nullable: true),
                    Position = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_shop_locations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_shop_locations_shop_locations_ParentId",
                        column: x => x.ParentId,
                        principalTable: "shop_locations",
                        principalColumn: "Id");
                });

            migrationBuilder.CreateTable(
                name: "shop_products",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CategoryId = table.Column<long>(type: "INTEGER", nullable: true),
                    LocationId = table.Column<long>(type: "INTEGER", nullable: true),
                    BasePrice = table.Column<long>(type: "INTEGER", nullable: false),
                    DiscountPercent = table.Column<int>(type: "INTEGER", nullable: false),
                    DiscountStartsAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    DiscountEndsAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    IsActive = table.Column<bool>(type: "INTEGER", nullable: false),
                    Credits = table.Column<long>(type: "INTEGER", nullable: true),
                    SubscriptionDays = table.Column<int>(type: "INTEGER", nullable: true),
                    EntitlementKey = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ChannelChatId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_shop_products", x => x.Id);
                    table.ForeignKey(
                        name: "FK_shop_products_shop_categories_CategoryId",
                        column: x => x.CategoryId,
                        principalTable: "shop_categories",
                        principalColumn: "Id");
                    table.ForeignKey(
                        name: "FK_shop_products_shop_locations_LocationId",
                        column: x => x.LocationId,
                        principalTable: "shop_locations",
                        principalColumn: "Id");
                });

            migrationBuilder.CreateTable(
                name: "shop_orders",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    ProductId = table.Column<long>(type: "INTEGER", nullable: false),
                    ProductName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    UnitId = table.Column<long>(type: "INTEGER", nullable: true),
                    ReservationId = table.Column<long>(type: "INTEGER", nullable: false),
                    OriginalPrice = table.Column<long>(type: "INTEGER", nullable: false),
                    DiscountPercent = table.Column<int>(type: "INTEGER", nullable: false),
                    DiscountAmount = table.Column<long>(type: "INTEGER", nullable: false),
                    FinalPrice = table.Column<long>(type: "INTEGER", nullable: false),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    PaidWith = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    PaymentId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_shop_orders", x => x.Id);
                    table.ForeignKey(
                        name: "FK_shop_orders_shop_products_ProductId",
                        column: x => x.ProductId,
                        principalTable: "shop_products",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_shop_orders_users_UserId",
                        column: x => x.UserId,
                        principalTable: "users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "shop_product_photos",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProductId = table.Column<long>(type: "INTEGER", nullable: false),
                    Position = table.Column<int>(type: "INTEGER", nullable: false),
                    Url = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    ContentType = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Content = table.Column<byte[]>(type: "BLOB", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_shop_product_photos", x => x.Id);
                    table.ForeignKey(
                        name: "FK_shop_product_photos_shop_products_ProductId",
                        column: x => x.ProductId,
                        principalTable: "shop_products",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "shop_reservations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    ProductId = table.Column<long>(type: "INTEGER", nullable: false),
                    UnitId = table.Column<long>(type: "INTEGER", nullable: true),
                    Slot = table.Column<int>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    OriginalPrice = table.Column<long>(type: "INTEGER", nullable: false),
                    DiscountPercent = table.Column<int>(type: "INTEGER", nullable: false),
                    FinalPrice = table.Column<long>(type: "INTEGER", nullable: false),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ClosedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_shop_reservations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_shop_reservations_shop_products_ProductId",
                        column: x => x.ProductId,
                        principalTable: "shop_products",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_shop_reservations_users_UserId",
                        column: x => x.UserId,
                        principalTable: "users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "shop_stock_units",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProductId = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    ReservationId = table.Column<long>(type: "INTEGER", nullable: true),
                    HeldUntil = table.Column<DateTime>(type: "TEXT", nullable: true),
                    OrderId = table.Column<long>(type: "INTEGER", nullable: true),
                    Secret = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    FileUrl = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    PhotoUrl = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    Latitude = table.Column<double>(type: "REAL", nullable: true),
                    Longitude = table.Column<double>(type: "REAL", nullable: true),
                    Address = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Details = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    SoldAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_shop_stock_units", x => x.Id);
                    table.ForeignKey(
                        name: "FK_shop_stock_units_shop_products_ProductId",
                        column: x => x.ProductId,
                        principalTable: "shop_products",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_shop_entitlements_ExpiresAt",
                table: "shop_entitlements",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_shop_entitlements_UserId_Key",
                table: "shop_entitlements",
                columns: new[] { "UserId", "Key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_shop_locations_ParentId",
                table: "shop_locations",
                column: "ParentId");

            migrationBuilder.CreateIndex(
                name: "IX_shop_orders_CreatedAt",
                table: "shop_orders",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_shop_orders_ProductId",
                table: "shop_orders",
                column: "ProductId");

            migrationBuilder.CreateIndex(
                name: "IX_shop_orders_ReservationId",
                table: "shop_orders",
                column: "ReservationId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_shop_orders_UnitId",
                table: "shop_orders",
                column: "UnitId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_shop_orders_UserId_Id",
                table: "shop_orders",
                columns: new[] { "UserId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_shop_product_photos_ProductId_Position",
                table: "shop_product_photos",
                columns: new[] { "ProductId", "Position" });

            migrationBuilder.CreateIndex(
                name: "IX_shop_products_CategoryId",
                table: "shop_products",
                column: "CategoryId");

            migrationBuilder.CreateIndex(
                name: "IX_shop_products_IsActive_LocationId_CategoryId",
                table: "shop_products",
                columns: new[] { "IsActive", "LocationId", "CategoryId" });

            migrationBuilder.CreateIndex(
                name: "IX_shop_products_LocationId",
                table: "shop_products",
                column: "LocationId");

            migrationBuilder.CreateIndex(
                name: "IX_shop_reservations_ProductId",
                table: "shop_reservations",
                column: "ProductId");

            migrationBuilder.CreateIndex(
                name: "IX_shop_reservations_Status_ExpiresAt",
                table: "shop_reservations",
                columns: new[] { "Status", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_shop_reservations_UserId_Slot",
                table: "shop_reservations",
                columns: new[] { "UserId", "Slot" },
                unique: true,
                filter: "\"Status\" = 'active'");

            migrationBuilder.CreateIndex(
                name: "IX_shop_stock_units_OrderId",
                table: "shop_stock_units",
                column: "OrderId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_shop_stock_units_ProductId_Status_Id",
                table: "shop_stock_units",
                columns: new[] { "ProductId", "Status", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "shop_entitlements");

            migrationBuilder.DropTable(
                name: "shop_orders");

            migrationBuilder.DropTable(
                name: "shop_product_photos");

            migrationBuilder.DropTable(
                name: "shop_reservations");

            migrationBuilder.DropTable(
                name: "shop_stock_units");

            migrationBuilder.DropTable(
                name: "shop_products");

            migrationBuilder.DropTable(
                name: "shop_categories");

            migrationBuilder.DropTable(
                name: "shop_locations");
        }
    }
}
