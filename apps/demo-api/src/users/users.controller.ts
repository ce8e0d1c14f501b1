import { Body, ConflictException, Controller, Post } from '@nestjs/common';
import { currentAuditTransactionId } from '@threadline/nestjs';
import { randomBytes, scrypt } from 'crypto';
import { promisify } from 'util';
import { DataSource, QueryFailedError } from 'typeorm';
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
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  async create(@Body() dto: CreateUserDto) {
    const passwordHash = await hashPassword(dto.password);
    try {
      // Any TypeORM transaction in a request carries the request's actor: no audit code here.
      return await this.dataSource.transaction(async (m) => {
        const user = await m.save(m.create(User, { name: dto.name, email: dto.email, passwordHash }));
        return {
          id: user.id,
          name: user.name,
          email: user.email,
          created_at: user.createdAt,
          audit_transaction_id: await currentAuditTransactionId(m),
        };
      });
    } catch (error) {
      if (error instanceof QueryFailedError && (error as { code?: string }).code === '23505') {
        throw new ConflictException('a user with this email already exists');
      }
      throw error;
    }
  }
}
