/** All SQL of the user service. */

import type { Role } from "@skyros/kit/auth";
import { isUniqueViolation, type Sql } from "@skyros/kit/database";
import type { JWK } from "jose";
import { judgeRefreshToken, type RefreshVerdict } from "./refresh-tokens.ts";
import type { SigningKeyStore, StoredSigningKey } from "./signing-keys.ts";

export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly address: string;
  readonly type: Role;
}

export interface NewUser extends UserRecord {
  readonly passwordHash: string;
}

export interface RefreshOutcome {
  readonly verdict: RefreshVerdict;
  /** The token's user, when the verdict is "rotate". */
  readonly user?: UserRecord;
}

export interface UserStore extends SigningKeyStore {
  /** Inserts a user; "duplicate-email" when the email is taken (whatever its case). */
  insertUser(user: NewUser): Promise<"created" | "duplicate-email">;
  findCredentialsByEmail(email: string): Promise<{ user: UserRecord; passwordHash: string } | undefined>;
  updatePasswordHash(userId: string, passwordHash: string): Promise<void>;
  findUserById(id: string): Promise<UserRecord | undefined>;
  findUsersByIds(ids: readonly string[]): Promise<UserRecord[]>;
  insertRefreshToken(token: {
    hash: Buffer;
    familyId: string;
    userId: string;
    expireTime: Date;
  }): Promise<void>;
  /**
   * Atomically judges a presented token and acts: rotation marks it rotated and
   * stores `next` in its family; reuse revokes the whole family.
   */
  rotateRefreshToken(
    hash: Buffer,
    next: { hash: Buffer; expireTime: Date },
    now: Date,
  ): Promise<RefreshOutcome>;
  /** Revokes the family of a token of `userId`; false when there is no such live token. */
  revokeRefreshFamily(hash: Buffer, userId: string): Promise<boolean>;
}

const userColumns = "id, email, name, address, type";

/** The user service's store over a migrated database. */
export function createUserStore(sql: Sql): UserStore {
  return {
    async insertUser(user) {
      try {
        await sql`
          insert into users (id, email, name, address, type, password_hash)
          values (${user.id}, ${user.email}, ${user.name}, ${user.address}, ${user.type}, ${user.passwordHash})`;
        return "created";
      } catch (error) {
        if (isUniqueViolation(error, "users_email_key")) return "duplicate-email";
        throw error;
      }
    },

    async findCredentialsByEmail(email) {
      const [row] = await sql<(UserRecord & { password_hash: string })[]>`
        select ${sql.unsafe(userColumns)}, password_hash from users where lower(email) = lower(${email})`;
      if (row === undefined) return undefined;
      const { password_hash: passwordHash, ...user } = row;
      return { user, passwordHash };
    },

    async updatePasswordHash(userId, passwordHash) {
      await sql`update users set password_hash = ${passwordHash}, update_time = now() where id = ${userId}`;
    },

    async findUserById(id) {
      const [row] = await sql<UserRecord[]>`select ${sql.unsafe(userColumns)} from users where id = ${id}`;
      return row;
    },

    async findUsersByIds(ids) {
      if (ids.length === 0) return [];
      return sql<UserRecord[]>`select ${sql.unsafe(userColumns)} from users where id = any(${ids}::uuid[])`;
    },

    async insertRefreshToken(token) {
      await sql`
        insert into refresh_tokens (token_hash, family_id, user_id, expire_time)
        values (${token.hash}, ${token.familyId}, ${token.userId}, ${token.expireTime})`;
    },

    async rotateRefreshToken(hash, next, now) {
      return sql.begin(async (tx) => {
        const [record] = await tx<
          {
            family_id: string;
            user_id: string;
            expire_time: Date;
            rotate_time: Date | null;
            revoke_time: Date | null;
          }[]
        >`
          select family_id, user_id, expire_time, rotate_time, revoke_time
          from refresh_tokens where token_hash = ${hash} for update`;
        const verdict = judgeRefreshToken(
          record && {
            expireTime: record.expire_time,
            rotateTime: record.rotate_time,
            revokeTime: record.revoke_time,
          },
          now,
        );
        if (record === undefined || verdict === "invalid") return { verdict: "invalid" };
        if (verdict === "reuse") {
          await tx`update refresh_tokens set revoke_time = ${now}
                   where family_id = ${record.family_id} and revoke_time is null`;
          return { verdict };
        }
        await tx`update refresh_tokens set rotate_time = ${now} where token_hash = ${hash}`;
        await tx`
          insert into refresh_tokens (token_hash, family_id, user_id, expire_time)
          values (${next.hash}, ${record.family_id}, ${record.user_id}, ${next.expireTime})`;
        const [user] = await tx<
          UserRecord[]
        >`select ${tx.unsafe(userColumns)} from users where id = ${record.user_id}`;
        return { verdict, user };
      });
    },

    async revokeRefreshFamily(hash, userId) {
      const rows = await sql`
        update refresh_tokens set revoke_time = now()
        where family_id = (select family_id from refresh_tokens where token_hash = ${hash} and user_id = ${userId})
          and revoke_time is null
        returning 1`;
      return rows.length > 0;
    },

    async listSigningKeys() {
      const rows = await sql<{ kid: string; private_jwk: JWK; public_jwk: JWK }[]>`
        select kid, private_jwk, public_jwk from signing_keys
        where retire_time is null order by create_time, kid`;
      return rows.map(
        (row): StoredSigningKey => ({ kid: row.kid, privateJwk: row.private_jwk, publicJwk: row.public_jwk }),
      );
    },

    async insertSigningKey(key) {
      await sql`
        insert into signing_keys (kid, private_jwk, public_jwk)
        values (${key.kid}, ${sql.json(key.privateJwk as never)}, ${sql.json(key.publicJwk as never)})
        on conflict (kid) do nothing`;
    },
  };
}
