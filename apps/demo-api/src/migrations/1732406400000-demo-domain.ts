import { MigrationInterface, QueryRunner } from 'typeorm';

/** The demo's own tables; Threadline's migrations come after it. */
export class DemoDomain1732406400000 implements MigrationInterface {
  name = 'DemoDomain1732406400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id serial PRIMARY KEY,
        name text NOT NULL,
        email text NOT NULL UNIQUE,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE posts (
        id serial PRIMARY KEY,
        title text NOT NULL,
        body text NOT NULL,
        author_id int REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE post_tags (
        post_id int NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
        tag text NOT NULL,
        PRIMARY KEY (post_id, tag)
      );
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE post_tags; DROP TABLE posts; DROP TABLE users;`);
  }
}
