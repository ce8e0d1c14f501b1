import { Body, ConflictException, Controller, Post } from '@nestjs/common';
import { randomBytes, scrypt } from 'crypto';
import { promisify } from 'util';
import { QueryFailedError } from 'typeorm';
import { AuditedWrites } from '../audited-writes';
import { Actor, DemoActor } from '../demo-auth';
import { CreateUserDto } from './create-user.dto';
import { User } from './user.entity';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** Only a salted scrypt hash of the password is stored. */
async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32);
  return `scrypt$${salt.toString('hex')}$${key.toString('hex')}`;
}

@Controller('api/users')
export class UsersController {
  constructor(private readonly writes: AuditedWrites) {}

  @Post()
  async create(@Body() dto: CreateUserDto, @Actor() actor: DemoActor) {
    const passwordHash = await hashPassword(dto.password);
    try {
      const { result, auditTransactionId } = await this.writes.run(actor, (m) =>
        m.save(m.create(User, { name: dto.name, email: dto.email, passwordHash })),
      );
      return { id: result.id, name: result.name, email: result.email, created_at: result.createdAt, audit_transaction_id: auditTransactionId };
    } catch (error) {
      if (error instanceof QueryFailedError && (error as { code?: string }).code === '23505') {
        throw new ConflictException('a user with this email already exists');
      }
      throw error;
    }
  }
}
