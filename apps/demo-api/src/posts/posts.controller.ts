import { Body, Controller, Delete, HttpCode, NotFoundException, Param, ParseIntPipe, Patch, Post as HttpPost } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditedWrites } from '../audited-writes';
import { Actor, DemoActor } from '../demo-auth';
import { CreatePostDto, UpdatePostDto } from './post.dto';
import { PostTag } from './post-tag.entity';
import { Post } from './post.entity';

function view(post: Post, auditTransactionId: string | null) {
  return {
    id: post.id,
    title: post.title,
    body: post.body,
    author_id: post.authorId,
    tags: (post.tags ?? []).map((t) => t.tag).sort(),
    created_at: post.createdAt,
    updated_at: post.updatedAt,
    audit_transaction_id: auditTransactionId,
  };
}

function authorIdOf(actor: DemoActor): number | null {
  const id = Number(actor.id);
  return actor.type === 'user' && Number.isInteger(id) && id > 0 ? id : null;
}

async function findOrFail(m: EntityManager, id: number): Promise<Post> {
  const post = await m.findOne(Post, { where: { id } });
  if (!post) throw new NotFoundException(`post ${id} not found`);
  return post;
}

@Controller('api/posts')
export class PostsController {
  constructor(private readonly writes: AuditedWrites) {}

  @HttpPost()
  async create(@Body() dto: CreatePostDto, @Actor() actor: DemoActor) {
    const { result, auditTransactionId } = await this.writes.run(actor, async (m) => {
      const author = authorIdOf(actor);
      const exists = author !== null && (await m.query(`SELECT 1 FROM users WHERE id = $1`, [author])).length > 0;
      const post = await m.save(m.create(Post, { title: dto.title, body: dto.body, authorId: exists ? author : null, tags: [] }));
      post.tags = await m.save([...new Set(dto.tags ?? [])].map((tag) => m.create(PostTag, { postId: post.id, tag })));
      return post;
    });
    return view(result, auditTransactionId);
  }

  @Patch(':id')
  async update(@Param('id', ParseIntPipe) id: number, @Body() dto: UpdatePostDto, @Actor() actor: DemoActor) {
    const { result, auditTransactionId } = await this.writes.run(actor, async (m) => {
      const post = await findOrFail(m, id);
      const changes = { ...(dto.title !== undefined && { title: dto.title }), ...(dto.body !== undefined && { body: dto.body }) };
      if (Object.keys(changes).length > 0) await m.update(Post, { id }, changes);
      if (dto.tags) {
        const wanted = new Set(dto.tags);
        const current = new Set(post.tags.map((t) => t.tag));
        const removed = [...current].filter((t) => !wanted.has(t));
        if (removed.length) await m.delete(PostTag, removed.map((tag) => ({ postId: id, tag })));
        const added = [...wanted].filter((t) => !current.has(t));
        if (added.length) await m.insert(PostTag, added.map((tag) => ({ postId: id, tag })));
      }
      return findOrFail(m, id);
    });
    return view(result, auditTransactionId);
  }

  @Delete(':id')
  @HttpCode(200)
  async remove(@Param('id', ParseIntPipe) id: number, @Actor() actor: DemoActor) {
    const { auditTransactionId } = await this.writes.run(actor, async (m) => {
      await findOrFail(m, id);
      await m.delete(Post, { id });
    });
    return { id, deleted: true, audit_transaction_id: auditTransactionId };
  }
}
