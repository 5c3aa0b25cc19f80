/**
 * The hop-free reference: one process (Fastify + postgres.js) doing the SQL work
 * of the two hottest routes directly, with no gateway, gRPC or token checks in
 * between. What it serves per second bounds what the system could serve here.
 *
 * Run as its own process (so its CPU is measured like a service's):
 *   REFERENCE_DATABASE_URL=postgres://… REFERENCE_PORT=0 node bench/reference-server.ts
 * It prints `{"port": <port>}` on standard output once it listens.
 */
import { randomUUID } from "node:crypto";
import { postgres } from "@skyros/kit/postgres-driver";
import { defaultDatabasePoolMax } from "@skyros/kit/service-config";
import Fastify from "fastify";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface OrderBody {
  description?: string;
  destinationAddress?: string;
  items?: { productId?: string; quantity?: number }[];
}

const url = process.env.REFERENCE_DATABASE_URL;
if (url === undefined) throw new Error("REFERENCE_DATABASE_URL is required");
// The services' default pool size, so both sides get the same PostgreSQL parallelism.
const sql = postgres(url, {
  max: Number(process.env.REFERENCE_POOL_MAX ?? defaultDatabasePoolMax()),
  onnotice: () => {},
});
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>("/v1/products/:id", async (request, reply) => {
  const { id } = request.params;
  if (!UUID.test(id)) return reply.code(400).send({ code: 3, message: "id must be a UUID" });
  const [row] = await sql`
    select p.id, p.name, p.description, p.price, p.stock, p.create_time, p.update_time,
           u.id as seller_id, u.name as seller_name, u.email, u.address, u.type
    from products p join users u on u.id = p.seller_id
    where p.id = ${id}`;
  if (row === undefined) return reply.code(404).send({ code: 5, message: "product not found" });
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: String(row.price),
    stock: row.stock,
    seller: {
      id: row.seller_id,
      name: row.seller_name,
      email: row.email,
      address: row.address,
      type: row.type,
    },
    createTime: row.create_time,
    updateTime: row.update_time,
  };
});

/** Not enough stock for a line: the transaction is rolled back. */
class OutOfStock extends Error {}

app.post<{ Body: OrderBody }>("/v1/orders", async (request, reply) => {
  const buyerId = request.headers["x-buyer-id"];
  const items = request.body?.items ?? [];
  if (typeof buyerId !== "string" || !UUID.test(buyerId) || items.length === 0) {
    return reply.code(400).send({ code: 3, message: "a buyer and items are required" });
  }
  const lines = items
    .map((item) => ({ productId: String(item.productId), quantity: Number(item.quantity) }))
    // One lock order for every transaction, so two orders of the same products cannot deadlock.
    .sort((a, b) => (a.productId < b.productId ? -1 : 1));
  if (lines.some((line) => !UUID.test(line.productId) || !(line.quantity > 0))) {
    return reply.code(400).send({ code: 3, message: "bad item" });
  }
  const orderId = randomUUID();
  try {
    const order = await sql.begin(async (tx) => {
      const taken = [];
      for (const line of lines) {
        const [product] = await tx`
          update products set stock = stock - ${line.quantity}, update_time = now()
          where id = ${line.productId} and stock >= ${line.quantity}
          returning name, price, seller_id`;
        if (product === undefined) throw new OutOfStock();
        taken.push({
          ...line,
          name: String(product.name),
          price: BigInt(product.price),
          sellerId: product.seller_id,
        });
      }
      const total = taken.reduce((sum, line) => sum + line.price * BigInt(line.quantity), 0n);
      const [row] = await tx`
        insert into orders (id, buyer_id, seller_id, status, description, destination_address, total_price)
        values (${orderId}, ${buyerId}, ${taken[0]?.sellerId}, 'pending',
                ${request.body.description ?? ""}, ${request.body.destinationAddress ?? ""}, ${total.toString()})
        returning create_time`;
      for (const line of taken) {
        await tx`
          insert into order_items (order_id, product_id, name, unit_price, quantity)
          values (${orderId}, ${line.productId}, ${line.name}, ${line.price.toString()}, ${line.quantity})`;
      }
      return { total, createTime: row?.create_time, taken };
    });
    return {
      id: orderId,
      status: "pending",
      totalPrice: order.total.toString(),
      items: order.taken.map((line) => ({
        productId: line.productId,
        name: line.name,
        unitPrice: line.price.toString(),
        quantity: line.quantity,
      })),
      createTime: order.createTime,
    };
  } catch (error) {
    if (error instanceof OutOfStock) return reply.code(409).send({ code: 10, message: "not enough stock" });
    throw error;
  }
});

const address = await app.listen({ host: "127.0.0.1", port: Number(process.env.REFERENCE_PORT ?? 0) });
process.stdout.write(`${JSON.stringify({ port: Number(new URL(address).port) })}\n`);

const stop = async () => {
  await app.close();
  await sql.end({ timeout: 5 });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
