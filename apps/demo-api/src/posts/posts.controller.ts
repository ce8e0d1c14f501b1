import {
  Body,
  Controller,
  Delete,
  HttpCode,
  NotFoundException,
  Param,
  ParseIntPipe,
  Patch,
  Post as HttpPost,
} from '@nestjs/common';
import { ActionRecorder, currentAuditTransactionId, ThreadlineContext } from '@threadline/nestjs';
import { DataSource, EntityManager } from 'typeorm';
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

async function findOrFail(m: EntityManager, id: number): Promise<Post> {
  const post = await m.findOne(Post, { where: { id } });
  if (!post) throw new NotFoundException(`post ${id} not found`);
  return post;
}

@Controller('api/posts')
export class PostsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly context: ThreadlineContext,
    private readonly actions: ActionRecorder,
  ) {}

  /** The acting user's id when it names an existing user, for `author_id`. */
  private async authorId(m: EntityManager): Promise<number | null> {
    const actor = await this.context.actor();
    const id = Number(actor?.id);
    if (actor?.type !== 'user' || !Number.isInteger(id) || id <= 0) return null;
    return (await m.query(`SELECT 1 FROM users WHERE id = $1`, [id])).length > 0 ? id : null;
  }

  @HttpPost()
  async create(@Body() dto: CreatePostDto) {
    return this.dataSource.transaction(async (m) => {
      const post = await m.save(
        m.create(Post, { title: dto.title, body: dto.body, authorId: await this.authorId(m), tags: [] }),
      );
      post.tags = await m.save([...new Set(dto.tags ?? [])].map((tag) => m.create(PostTag, { postId: post.id, tag })));
      // The "why" beside the row changes; linked to this transaction's audit row.
      await this.actions.recordAction('post.created', { verb: 'create', category: 'content', manager: m });
      return view(post, await currentAuditTransactionId(m));
    });
  }

  @Patch(':id')
  async update(@Param('id', ParseIntPipe) id: number, @Body() dto: UpdatePostDto) {
    return this.dataSource.transaction(async (m) => {
      const post = await findOrFail(m, id);
      const changes = {
        ...(dto.title !== undefined && { title: dto.title }),
        ...(dto.body !== undefined && { body: dto.body }),
      };
      if (Object.keys(changes).length > 0) await m.update(Post, { id }, changes);
      if (dto.tags) {
        const wanted = new Set(dto.tags);
        const current = new Set(post.tags.map((t) => t.tag));
        const removed = [...current].filter((t) => !wanted.has(t));
        if (removed.length)
          await m.delete(
            PostTag,
            removed.map((tag) => ({ postId: id, tag })),
          );
        const added = [...wanted].filter((t) => !current.has(t));
        if (added.length)
          await m.insert(
            PostTag,
            added.map((tag) => ({ postId: id, tag })),
          );
      }
      return view(await findOrFail(m, id), await currentAuditTransactionId(m));
    });
  }

  @Delete(':id')
  @HttpCode(200)
  async remove(@Param('id', ParseIntPipe) id: number) {
    return this.dataSource.transaction(async (m) => {
      await findOrFail(m, id);
      await m.delete(Post, { id });
      return { id, deleted: true, audit_transaction_id: await currentAuditTransactionId(m) };
    });
  }
}
