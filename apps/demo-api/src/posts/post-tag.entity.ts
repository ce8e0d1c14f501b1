import { Entity, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import { Post } from './post.entity';

/** Composite primary key (post_id, tag): audit rows key on both columns. */
@Entity({ name: 'post_tags' })
export class PostTag {
  @PrimaryColumn({ name: 'post_id' })
  postId: number;

  @PrimaryColumn()
  tag: string;

  @ManyToOne(() => Post, (post) => post.tags, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'post_id' })
  // Relation<>: no eager reference to Post in decorator metadata (the two entities import each other)
  post: Relation<Post>;
}
